namespace BudgetChat.AspNetCore;

/// <summary>The response headers that describe a budget.</summary>
/// <remarks>
/// <para>
/// Money is US dollars written with the invariant culture (<c>0.0123</c>), without trailing zeros; times are UTC in
/// ISO 8601 (<c>2026-03-02T00:00:00Z</c>), and a reset time is absent for a limit that never resets.
/// </para>
/// <para>
/// On a response of an endpoint that opted in with <c>WithBudgetHeaders()</c>, <see cref="Limit"/>, <see cref="Remaining"/>,
/// <see cref="Reset"/> and <see cref="RunsOut"/> describe the main limit of the user's budget (its first, in dollars). On a
/// 429 they describe the limit that refused: when it counts dollars, all three; when it counts tokens or requests, only
/// <see cref="Reset"/>, because <see cref="Limit"/> and <see cref="Remaining"/> are dollars and never carry a count of
/// tokens or requests (the ProblemDetails body carries those, with their unit).
/// </para>
/// </remarks>
public static class BudgetHeaderNames
{
    /// <summary>The limit for its current window, in US dollars.</summary>
    public const string Limit = "X-Budget-Limit";

    /// <summary>What can still be spent in the current window, in US dollars: the limit less spend and what calls in flight hold.</summary>
    public const string Remaining = "X-Budget-Remaining";

    /// <summary>When the current window ends and the limit's count starts again, UTC in ISO 8601.</summary>
    public const string Reset = "X-Budget-Reset";

    /// <summary>
    /// When the main limit runs out if its window goes on spending at the rate it has so far, UTC in ISO 8601; absent when
    /// it will not run out before the window ends. Written with <see cref="Limit"/> by <c>WithBudgetHeaders()</c>.
    /// </summary>
    public const string RunsOut = "X-Budget-Runs-Out";

    /// <summary>
    /// The calls of the request that the cheaper-model ladder sent to another model than the one asked for: a Structured
    /// Field List (RFC 9651), one member per distinct downgrade in the order they happened, for example
    /// <c>"gpt-4o";to="gpt-4o-mini";reason=refused;budget="user:alice";window="daily"</c>. The default of
    /// <see cref="BudgetChatAspNetCoreOptions.ModelDowngradeHeaderName"/>.
    /// </summary>
    public const string ModelDowngrade = "X-Budget-Model-Downgrade";

    /// <summary>
    /// The request limits of the budget, as quota policies of draft-ietf-httpapi-ratelimit-headers-12, for example
    /// <c>"per-minute requests";q=60;w=60, "daily requests";q=1000;w=86400</c>.
    /// </summary>
    public const string RateLimitPolicy = "RateLimit-Policy";

    /// <summary>
    /// The request limit closest to running out (on a 429, the one that refused), as a service limit of
    /// draft-ietf-httpapi-ratelimit-headers-12, for example <c>"per-minute requests";a=12;w=45</c>.
    /// </summary>
    public const string RateLimit = "RateLimit";
}
