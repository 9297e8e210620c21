using System.Security.Claims;
using BudgetChat.Server.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace BudgetChat.Server.Dashboard;

/// <summary>
/// Who may see the dashboard and what they may do: its authentication schemes (a cookie set by signing in with an API
/// key; in open mode the API's own loopback-only scheme) and its authorization policies.
/// </summary>
/// <remarks>
/// The cookie is the dashboard's only: the API's routes authenticate the <c>Authorization</c> header alone, so a page
/// of another site cannot use a signed-in browser against them. This type is thread-safe.
/// </remarks>
internal static class DashboardAccess
{
    /// <summary>The scheme the dashboard's policies authenticate with: forwards to <see cref="CookieScheme"/>, or in open mode to the API's scheme.</summary>
    public const string Scheme = "BudgetChatDashboard";

    /// <summary>The cookie scheme signing in sets.</summary>
    public const string CookieScheme = "BudgetChatDashboardCookie";

    /// <summary>A signed-in caller of the project in the route (<c>{project}</c>), with either role.</summary>
    public const string ReadPolicy = "BudgetChatDashboardRead";

    /// <summary>A signed-in caller of the project in the route with an admin key: creating, changing and resetting budgets.</summary>
    public const string AdminPolicy = "BudgetChatDashboardAdmin";

    /// <summary>A signed-in caller of any project (the pages without a project in their route).</summary>
    public const string SignedInPolicy = "BudgetChatDashboardSignedIn";

    public const string CookieName = "budgetchat-dashboard";
    public const string AntiforgeryCookieName = "budgetchat-antiforgery";

    public static void AddPolicies(AuthorizationBuilder authorization) =>
        authorization
            .AddPolicy(ReadPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(new ProjectAccessRequirement()))
            .AddPolicy(AdminPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(new ProjectAccessRequirement())
                .RequireClaim(ProjectAccess.RoleClaim, ProjectAccess.RoleName(BudgetServerKeyRole.Admin)))
            .AddPolicy(SignedInPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());

    /// <summary>The principal a sign-in with a key of <paramref name="project"/> and <paramref name="role"/> keeps in its cookie (no key in it).</summary>
    public static ClaimsPrincipal SignedIn(string project, BudgetServerKeyRole role) =>
        new(new ClaimsIdentity(
            [new Claim(ProjectAccess.ProjectClaim, project), new Claim(ProjectAccess.RoleClaim, ProjectAccess.RoleName(role))],
            CookieScheme));

    /// <summary>Gets a value indicating whether the caller may create, change and reset budgets (an admin key, or open mode).</summary>
    public static bool CanChange(ClaimsPrincipal user) =>
        string.Equals(ProjectAccess.KeyRole(user), ProjectAccess.RoleName(BudgetServerKeyRole.Admin), StringComparison.Ordinal);
}
