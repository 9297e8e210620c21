using System.Collections.ObjectModel;
using System.Security.Claims;

namespace BudgetChat.AspNetCore;

/// <summary>Options of BudgetChat's ASP.NET Core integration: how the budget user of a request is found.</summary>
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
/// </remarks>
public sealed class BudgetChatAspNetCoreOptions
{
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
    public int MaxUserIdLength { get; set; } = DefaultMaxUserIdLength;

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        foreach (string claimType in UserClaimTypes)
        {
            if (string.IsNullOrWhiteSpace(claimType))
            {
                throw new ArgumentException("A user claim type must not be empty.", nameof(UserClaimTypes));
            }
        }

        if (UserHeaderName is not null && string.IsNullOrWhiteSpace(UserHeaderName))
        {
            throw new ArgumentException("The user header name must be null or not empty.", nameof(UserHeaderName));
        }

        if (UserClaimTypes.Count == 0 && UserHeaderName is null)
        {
            throw new ArgumentException("Set at least one user claim type or a user header name; otherwise no request has a user.", nameof(UserClaimTypes));
        }

        if (MaxUserIdLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUserIdLength), MaxUserIdLength, "The longest user id must be positive.");
        }
    }
}
