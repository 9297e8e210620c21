using System.Collections.ObjectModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Options of BudgetChat's ASP.NET Core integration: how the budget user of a request is found, and which budget headers
/// responses carry.
/// </summary>
/// <remarks>
/// <para>
/// For a call made while an HTTP request is being handled, whose <see cref="Microsoft.Extensions.AI.ChatOptions"/> name no
/// user, the user is the value of the first of <see cref="UserClaimTypes"/> the authenticated user has, else the
/// value of the <see cref="UserHeaderName"/> header when one is configured. Claims win over the header, so a
/// signed-in user can never be charged as someone else by sending the header.
/// </para>
/// <para>
/// A request that yields no user is charged to the global budget only (the core's behaviour for a call without
/// a user), unless <see cref="RequireUser"/> is set, in which case the call is refused with 401 (not signed in)
/// or 403 (signed in without any of the claims) before the model is called.
/// </para>
/// <para>
/// The rules are the data annotations on the properties and <see cref="IValidatableObject.Validate"/> for those they
/// cannot express, checked by a source-generated validator at start and by <see cref="Validate()"/>. Not thread-safe
/// while being configured.
/// </para>
/// </remarks>
public sealed class BudgetChatAspNetCoreOptions : IValidatableObject
{
    // The headers the downgrade header must not be confused with.
    private static readonly string[] WrittenHeaders =
    [
        BudgetHeaderNames.Limit, BudgetHeaderNames.Remaining, BudgetHeaderNames.Reset, BudgetHeaderNames.RunsOut,
        BudgetHeaderNames.RateLimit, BudgetHeaderNames.RateLimitPolicy, "Retry-After",
    ];

    /// <summary>The default of <see cref="MaxUserIdLength"/>.</summary>
    public const int DefaultMaxUserIdLength = 256;

    /// <summary>Initializes a new instance of the <see cref="BudgetChatAspNetCoreOptions"/> class with the defaults.</summary>
    public BudgetChatAspNetCoreOptions()
    {
    }

    /// <summary>
    /// Gets the claim types the user id is read from, in order; the first the authenticated user has, with a
    /// non-blank value, wins. Defaults to <c>sub</c> (a JWT's subject, when inbound claims are not mapped) and
    /// <see cref="ClaimTypes.NameIdentifier"/> (what <c>sub</c> becomes when they are, and what cookie sign-ins usually carry).
    /// </summary>
    public Collection<string> UserClaimTypes { get; } = ["sub", ClaimTypes.NameIdentifier];

    /// <summary>
    /// Gets or sets the request header the user id is read from when the request has no authenticated user with one
    /// of <see cref="UserClaimTypes"/>, or <see langword="null"/> (the default) to read no header.
    /// </summary>
    /// <remarks>
    /// Anyone can send a header: use it only behind a gateway that sets it (and strips it from clients), or for
    /// demos and internal tools. A header with more than one value, a blank value, or a value longer than
    /// <see cref="MaxUserIdLength"/> is refused with 400.
    /// </remarks>
    public string? UserHeaderName { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a call made during a request that yields no user is refused (401 when
    /// the request is not authenticated, 403 when it is but carries none of <see cref="UserClaimTypes"/>) instead of
    /// being charged to the global budget only. Defaults to <see langword="false"/>. Calls outside a request are not affected.
    /// </summary>
    public bool RequireUser { get; set; }

    /// <summary>Gets or sets the longest user id accepted from <see cref="UserHeaderName"/>. Defaults to 256.</summary>
    [Range(1, int.MaxValue)]
    public int MaxUserIdLength { get; set; } = DefaultMaxUserIdLength;

    /// <summary>
    /// Gets or sets a value indicating whether responses with budget headers also carry the <c>RateLimit-Policy</c> and
    /// <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers-12 for the budget's request limits. Defaults to
    /// <see langword="true"/>.
    /// </summary>
    /// <remarks>
    /// Fields another part of the app writes (its own rate limiter, say) are kept: the budget's policies are added after
    /// theirs, as the draft's Lists allow. Limits of dollars or tokens are never written there, because the draft has no
    /// quota unit for them; see <see cref="BudgetHeaderNames.RateLimit"/>.
    /// </remarks>
    public bool RateLimitHeaders { get; set; } = true;

    /// <summary>
    /// Gets or sets the response header that names the calls of the request the cheaper-model ladder
    /// (<see cref="BudgetingChatClientOptions.CheaperModels"/>) sent to a cheaper model, or <see langword="null"/> to write
    /// none. Defaults to <see cref="BudgetHeaderNames.ModelDowngrade"/>.
    /// </summary>
    /// <remarks>
    /// It is written on every response of a request in which a call was downgraded, whatever the endpoint, because the
    /// client got an answer from another model than the one asked for; an app without a ladder never writes it. It names
    /// the models and the budget that ran low: set <see langword="null"/> if those are not for the client's eyes. A call
    /// downgraded after the response started (a stream already under way) cannot be reported. A callback the app set on
    /// <see cref="BudgetingChatClientOptions.OnModelDowngraded"/> is kept and called too.
    /// </remarks>
    public string? ModelDowngradeHeaderName { get; set; } = BudgetHeaderNames.ModelDowngrade;

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate() => OptionsValidation.ThrowIfFailed(new BudgetChatAspNetCoreOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        const string Options = nameof(BudgetChatAspNetCoreOptions);
        if (UserClaimTypes.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult($"{Options}.{nameof(UserClaimTypes)} must not contain a blank claim type.", [nameof(UserClaimTypes)]);
        }

        if (UserHeaderName is not null && string.IsNullOrWhiteSpace(UserHeaderName))
        {
            yield return new ValidationResult($"{Options}.{nameof(UserHeaderName)} must be null or a header name, not blank.", [nameof(UserHeaderName)]);
        }

        if (ModelDowngradeHeaderName is { } downgradeHeader)
        {
            if (!IsHeaderName(downgradeHeader))
            {
                yield return new ValidationResult(
                    $"{Options}.{nameof(ModelDowngradeHeaderName)} must be null (no header) or a header name of letters, digits and !#$%&'*+-.^_`|~, not '{downgradeHeader}'.",
                    [nameof(ModelDowngradeHeaderName)]);
            }
            else if (WrittenHeaders.Contains(downgradeHeader, StringComparer.OrdinalIgnoreCase))
            {
                yield return new ValidationResult(
                    $"{Options}.{nameof(ModelDowngradeHeaderName)} must not be '{downgradeHeader}', a header BudgetChat writes for something else.",
                    [nameof(ModelDowngradeHeaderName)]);
            }
        }

        if (UserClaimTypes.Count == 0 && UserHeaderName is null)
        {
            yield return new ValidationResult(
                $"Set at least one of {Options}.{nameof(UserClaimTypes)} or {Options}.{nameof(UserHeaderName)}; otherwise no request has a user.", [nameof(UserClaimTypes)]);
        }
    }

    // A header name is an RFC 9110 token.
    private static bool IsHeaderName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}
