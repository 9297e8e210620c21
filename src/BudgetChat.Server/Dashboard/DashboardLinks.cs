using System.Text;

namespace BudgetChat.Server.Dashboard;

/// <summary>The addresses of the dashboard's pages, with every project, key and filter escaped.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class DashboardLinks
{
    public static string Project(string project) => DashboardSetup.BasePath + "/projects/" + Uri.EscapeDataString(project);

    public static string Budgets(string project, params (string Name, string? Value)[] query) => Project(project) + Query(query);

    public static string Log(string project, params (string Name, string? Value)[] query) => Project(project) + "/log" + Query(query);

    public static string Record(string project, long sequence) => Project(project) + "/records/" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string NewBudget(string project) => Project(project) + "/budgets/new";

    public static string EditBudget(string project, string key, string? done = null) => Project(project) + "/budgets/edit" + Query(("key", key), ("done", done));

    /// <summary>A query string of the parameters that have a value (empty ones are left out), or an empty string.</summary>
    public static string Query(params (string Name, string? Value)[] query)
    {
        var builder = new StringBuilder();
        foreach ((string name, string? value) in query)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }
}
