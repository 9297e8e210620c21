using System.Security.Claims;

namespace BudgetChat.Server.Authentication;

/// <summary>What an authenticated caller may use: one project (its API key's) or, in open mode, every project.</summary>
internal static class ProjectAccess
{
    public const string SchemeName = "BudgetChatApiKey";
    public const string ProjectPolicy = "BudgetChatProject";
    public const string CallerPolicy = "BudgetChatCaller";
    public const string ProjectClaim = "budgetchat:project";
    public const string OpenClaim = "budgetchat:open";

    public static ClaimsPrincipal ForProject(string project) =>
        new(new ClaimsIdentity([new Claim(ProjectClaim, project)], SchemeName));

    public static ClaimsPrincipal Open() =>
        new(new ClaimsIdentity([new Claim(OpenClaim, "true")], SchemeName));

    /// <summary>Gets the project the caller's key is bound to, or <see langword="null"/> in open mode.</summary>
    public static string? KeyProject(ClaimsPrincipal user) => user.FindFirst(ProjectClaim)?.Value;

    public static bool Allows(ClaimsPrincipal user, string project) =>
        user.HasClaim(c => c.Type == OpenClaim) ||
        string.Equals(KeyProject(user), project, StringComparison.Ordinal);
}
