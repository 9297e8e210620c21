namespace BudgetChat.AspNetCore;

/// <summary>The response headers that describe a budget.</summary>
/// <remarks>
/// Money is US dollars written with the invariant culture (<c>0.0123</c>), without trailing zeros; the reset time
/// is UTC in ISO 8601 (<c>2026-03-02T00:00:00Z</c>) and is absent for a budget that never resets.
/// </remarks>
public static class BudgetHeaderNames
{
    /// <summary>The budget's limit for its current window, in US dollars.</summary>
    public const string Limit = "X-Budget-Limit";

    /// <summary>What can still be spent in the current window, in US dollars: the limit less spend and what calls in flight hold.</summary>
    public const string Remaining = "X-Budget-Remaining";

    /// <summary>When the current window ends and spend resets, UTC in ISO 8601.</summary>
    public const string Reset = "X-Budget-Reset";
}
