using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace BudgetChat.AspNetCore;

/// <summary>Finds the budget user of an HTTP request from its claims or its user header.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal sealed class HttpBudgetUserResolver
{
    private readonly IHttpContextAccessor _httpContextAccessor;
    private readonly IOptions<BudgetChatAspNetCoreOptions> _options;

    public HttpBudgetUserResolver(IHttpContextAccessor httpContextAccessor, IOptions<BudgetChatAspNetCoreOptions> options)
    {
        _httpContextAccessor = httpContextAccessor;
        _options = options;
    }

    /// <summary>The resolver for <see cref="BudgetingChatClientOptions.UserIdResolver"/>: the user of the current request, if any.</summary>
    public string? ResolveForCall(BudgetCallContext call)
    {
        HttpContext? context = _httpContextAccessor.HttpContext;
        if (context is null)
        {
            // Not in a request (a background job sharing the client): nothing to say about the user.
            return null;
        }

        BudgetChatAspNetCoreOptions options = _options.Value;
        string? userId = Resolve(context, options);
        if (userId is null && options.RequireUser)
        {
            bool authenticated = context.User.Identity?.IsAuthenticated == true;
            throw new BudgetUserException(DescribeMissingUser(options, authenticated), authenticated ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized);
        }

        return userId;
    }

    /// <summary>Gets the user of a request: the first configured claim of an authenticated user, else the user header.</summary>
    /// <exception cref="BudgetUserException">The user header is malformed (400).</exception>
    public string? Resolve(HttpContext context) => Resolve(context, _options.Value);

    private static string? Resolve(HttpContext context, BudgetChatAspNetCoreOptions options)
    {
        ClaimsPrincipal user = context.User;
        if (user.Identity?.IsAuthenticated == true)
        {
            foreach (string claimType in options.UserClaimTypes)
            {
                if (user.FindFirst(claimType)?.Value is { } value && !string.IsNullOrWhiteSpace(value))
                {
                    return value;
                }
            }
        }

        if (options.UserHeaderName is not { } headerName
            || !context.Request.Headers.TryGetValue(headerName, out StringValues values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            throw new BudgetUserException($"The {headerName} header must have exactly one value.", StatusCodes.Status400BadRequest);
        }

        string? headerValue = values[0]?.Trim();
        if (string.IsNullOrEmpty(headerValue))
        {
            throw new BudgetUserException($"The {headerName} header must not be empty.", StatusCodes.Status400BadRequest);
        }

        if (headerValue.Length > options.MaxUserIdLength)
        {
            throw new BudgetUserException($"The {headerName} header must be at most {options.MaxUserIdLength} characters long.", StatusCodes.Status400BadRequest);
        }

        return headerValue;
    }

    private static string DescribeMissingUser(BudgetChatAspNetCoreOptions options, bool authenticated)
    {
        string claims = string.Join(", ", options.UserClaimTypes);
        return authenticated
            ? $"The signed-in user has none of the claims that name a budget user ({claims})."
            : options.UserHeaderName is { } header
                ? $"The request names no user: sign in, or send the {header} header."
                : "The request names no user: sign in.";
    }
}
