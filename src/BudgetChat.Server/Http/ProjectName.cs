namespace BudgetChat.Server;

/// <summary>The rule for project names, shared by routes, the LiteLLM routes and configured API keys.</summary>
internal static class ProjectName
{
    /// <summary>Returns what is wrong with a project name, or <see langword="null"/> when it is valid.</summary>
    public static string? Validate(string? project)
    {
        if (string.IsNullOrWhiteSpace(project))
        {
            return "the project name is blank.";
        }

        if (project.Length > BudgetServerOptions.MaxProjectLength)
        {
            return $"the project name is longer than {BudgetServerOptions.MaxProjectLength} characters.";
        }

        return project.Any(char.IsControl) ? "the project name contains control characters." : null;
    }
}
