using BudgetChat.Server.Tests;

namespace BudgetChat.Cli.Tests;

/// <summary>
/// The budget service on real Kestrel at 127.0.0.1 (BudgetServerHost, keeping budgets in SQLite in a temp folder), with
/// one admin API key for <see cref="Project"/>; the tool talks to it with <c>--url</c>.
/// </summary>
internal sealed class BudgetService : IAsyncDisposable
{
    public const string Project = "acme";
    public const string ApiKey = "cli-tests-key-0123456789";

    private BudgetService(BudgetServerHost host) => Host = host;

    public BudgetServerHost Host { get; }

    public string Url => Host.BaseAddress.ToString();

    /// <summary>Gets the store the service serves, to see and charge what it holds without the wire in between.</summary>
    public IBudgetStore Store => Host.Store;

    public static async Task<BudgetService> StartAsync()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add((Project, ApiKey));
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        return new BudgetService(await BudgetServerHost.StartAsync(options));
    }

    /// <summary>Runs the tool on the service, project <see cref="Project"/>, with the key in BUDGETCHAT_API_KEY.</summary>
    public Task<CliResult> RunAsync(params string[] arguments) =>
        CliProcess.RunAsync(["--url", Url, "--project", Project, .. arguments], new Dictionary<string, string> { ["BUDGETCHAT_API_KEY"] = ApiKey });

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
