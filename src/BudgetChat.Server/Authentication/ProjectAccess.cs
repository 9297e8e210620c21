using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace BudgetChat.Server.Authentication;

/// <summary>
/// What an authenticated caller may use: one project (its API key's) or, in open mode, every project; and what it may
/// do there, by the key's role (<see cref="BudgetServerKeyRole"/>), carried as the claim <see cref="RoleClaim"/>.
/// </summary>
/// <remarks>Every route states the role it needs with <see cref="EnforcePolicy"/> or <see cref="AdminPolicy"/>. Thread-safe.</remarks>
internal static class ProjectAccess
{
    public const string SchemeName = "BudgetChatApiKey";
    public const string ProjectPolicy = "BudgetChatProject";
    public const string CallerPolicy = "BudgetChatCaller";
    public const string ProjectClaim = "budgetchat:project";
    public const string OpenClaim = "budgetchat:open";
    public const string RoleClaim = "budgetchat:role";

    /// <summary>Gets the policy of the routes an enforce key may use: reading, reserving, settling, releasing, renewing, charging.</summary>
    public static AuthorizationPolicy EnforcePolicy { get; } = RolePolicy(BudgetServerKeyRole.Enforce, BudgetServerKeyRole.Admin);

    /// <summary>Gets the policy of the routes that change what budgets allow: create, change, reset, delete, sweep, LiteLLM's set_budget.</summary>
    public static AuthorizationPolicy AdminPolicy { get; } = RolePolicy(BudgetServerKeyRole.Admin);

    public static ClaimsPrincipal ForProject(string project, BudgetServerKeyRole role) =>
        new(new ClaimsIdentity([new Claim(ProjectClaim, project), new Claim(RoleClaim, RoleName(role))], SchemeName));

    /// <summary>Open mode: every project, every operation (the service then serves loopback callers only).</summary>
    public static ClaimsPrincipal Open() =>
        new(new ClaimsIdentity([new Claim(OpenClaim, "true"), new Claim(RoleClaim, RoleName(BudgetServerKeyRole.Admin))], SchemeName));

    /// <summary>Gets the project the caller's key is bound to, or <see langword="null"/> in open mode.</summary>
    public static string? KeyProject(ClaimsPrincipal user) => user.FindFirst(ProjectClaim)?.Value;

    /// <summary>Gets the role of the caller's key as configured (<c>enforce</c>, <c>admin</c>), or <see langword="null"/> for no caller.</summary>
    public static string? KeyRole(ClaimsPrincipal user) => user.FindFirst(RoleClaim)?.Value;

    public static bool Allows(ClaimsPrincipal user, string project) =>
        user.HasClaim(c => c.Type == OpenClaim) ||
        string.Equals(KeyProject(user), project, StringComparison.Ordinal);

    /// <summary>The name of a role in configuration and in the role claim: <c>enforce</c>, <c>admin</c>.</summary>
    public static string RoleName(BudgetServerKeyRole role) => role switch
    {
        BudgetServerKeyRole.Enforce => "enforce",
        BudgetServerKeyRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Not a role of the budget service."),
    };

    private static AuthorizationPolicy RolePolicy(params BudgetServerKeyRole[] roles) =>
        new AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser()
            .RequireClaim(RoleClaim, roles.Select(RoleName))
            .Build();
}
