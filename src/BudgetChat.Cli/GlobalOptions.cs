using System.CommandLine;
using System.CommandLine.Parsing;
using BudgetChat.Stores;

namespace BudgetChat.Cli;

/// <summary>The options every command takes: where the budgets are, which project, and how to print.</summary>
/// <remarks>One instance per command tree; the options are recursive, so they may stand before or after the command.</remarks>
internal sealed class GlobalOptions
{
    public GlobalOptions()
    {
        Project.Validators.Add(static result =>
        {
            string? project = result.GetValueOrDefault<string>();
            try
            {
                BudgetStoreArguments.Project(project!);
            }
            catch (ArgumentException ex)
            {
                result.AddError($"--project: {Failures.WithoutParameter(ex)}");
            }
        });
    }

    /// <summary>Gets <c>--url</c>: the budget service's address.</summary>
    public Option<Uri?> Url { get; } = new("--url")
    {
        Description = "The budget service to use, for example http://127.0.0.1:5380/.",
        HelpName = "address",
        Recursive = true,
        CustomParser = ParseUrl,
    };

    /// <summary>Gets <c>--api-key</c>: the service's API key, else <c>BUDGETCHAT_API_KEY</c>.</summary>
    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "The budget service's API key; defaults to the BUDGETCHAT_API_KEY environment variable.",
        HelpName = "key",
        Recursive = true,
    };

    /// <summary>Gets <c>--db</c>: a SQLite database file.</summary>
    public Option<string?> Database { get; } = new("--db")
    {
        Description = "A SQLite budget database file to use instead of a service (as SqliteBudgetStore keeps it).",
        HelpName = "file",
        Recursive = true,
    };

    /// <summary>Gets <c>--time-zone</c>: the calendar of a SQLite file's daily, weekly, monthly and yearly windows.</summary>
    public Option<string?> TimeZone { get; } = new("--time-zone")
    {
        Description = "With --db: the time zone whose calendar aligns windows (an IANA id such as Europe/Berlin); UTC by default. Use the one the other processes on the file use.",
        HelpName = "id",
        Recursive = true,
    };

    /// <summary>Gets <c>--project</c>.</summary>
    public Option<string> Project { get; } = new("--project", "-p")
    {
        Description = "The project whose budgets to use.",
        HelpName = "name",
        Recursive = true,
        DefaultValueFactory = static _ => BudgetingChatClientOptions.DefaultProjectName,
    };

    /// <summary>Gets <c>--json</c>: machine-readable output.</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write the result as JSON on stdout (docs/cli.md describes each shape).",
        Recursive = true,
    };

    /// <summary>Gets <c>--no-color</c>.</summary>
    public Option<bool> NoColor { get; } = new("--no-color")
    {
        Description = "Never colour the output (it is coloured only on a terminal, and never when NO_COLOR is set).",
        Recursive = true,
    };

    /// <summary>Adds every option to the root command.</summary>
    public void AddTo(Command root)
    {
        foreach (Option option in (Option[])[Url, ApiKey, Database, TimeZone, Project, Json, NoColor])
        {
            root.Options.Add(option);
        }
    }

    private static Uri? ParseUrl(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        result.AddError($"--url: '{text}' is not an http or https address; give the budget service's address, for example http://127.0.0.1:5380/.");
        return null;
    }
}
