using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BudgetChat.Cli.Tests;

/// <summary><c>import-litellm</c> and <c>export-litellm</c>: LiteLLM's user_cost.json into a SQLite file and out of it.</summary>
public sealed class LiteLlmFileTests : IAsyncLifetime
{
    private readonly SqliteFile _db = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private string FilePath(string name = "user_cost.json") => Path.Combine(_db.Folder, name);

    [Fact]
    public async Task Import_CreatesEachUsersBudget_WithTheirSpend()
    {
        // As LiteLLM's BudgetManager writes it: a budget without period, and a daily one in its current window.
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await File.WriteAllTextAsync(FilePath(), $$"""
            {
              "alice": { "total_budget": 10.0, "current_cost": 1.5, "model_cost": { "gpt-4o": 1.0, "gpt-4o-mini": 0.5 } },
              "bob": { "total_budget": 5.0, "duration": 1, "created_at": {{now - 3600}}, "last_updated_at": {{now - 3600}}, "current_cost": 0.25, "model_cost": { "gpt-4o": 0.25 } }
            }
            """);

        CliResult import = await _db.RunAsync("import-litellm", FilePath());

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal([$"Imported 2 users from {FilePath()} into project 'default'."], import.Lines);
        Assert.DoesNotContain("Importing [", import.Error, StringComparison.Ordinal); // stderr is no terminal
        BudgetState alice = (await _db.Store.GetBudgetAsync("default", "user:alice"))!;
        BudgetState bob = (await _db.Store.GetBudgetAsync("default", "user:bob"))!;
        Assert.Equal((10m, 1.5m, BudgetPeriod.None), (alice.Limit, alice.Spent, alice.Definition.Period));
        Assert.Equal(0.5m, alice.SpendByModel["gpt-4o-mini"]);
        Assert.Equal((5m, 0.25m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling), (bob.Limit, bob.Spent, bob.Definition.Period, bob.Definition.Alignment));
    }

    [Fact]
    public async Task Import_Json_SaysHowManyUsers()
    {
        await File.WriteAllTextAsync(FilePath(), """{ "alice": { "total_budget": 10 } }""");

        JsonElement json = (await _db.RunAsync("import-litellm", FilePath(), "--json", "--project", "p")).Json();

        Assert.Equal(("p", FilePath(), 1), (json.GetProperty("project").GetString(), json.GetProperty("file").GetString(), json.GetProperty("imported").GetInt32()));
    }

    [Fact]
    public async Task ExportThenImport_RoundTripsEveryUser_AndLeavesOutBudgetsThatAreNoUser()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling));
        await _db.Store.SetBudgetAsync("default", "user:bob", new BudgetDefinition(2.5m));
        await _db.Store.SetBudgetAsync("default", "global", new BudgetDefinition(100m));
        await _db.Store.ChargeAsync("default", ["user:alice", "global"], 3.75m, "gpt-4o", "c1");
        await _db.Store.ChargeAsync("default", ["user:bob"], 0.5m, "claude-sonnet-4", "c2");

        CliResult export = await _db.RunAsync("export-litellm", FilePath());
        await using var copy = new SqliteFile();
        CliResult import = await copy.RunAsync("import-litellm", FilePath());

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal([$"Exported 2 users of project 'default' to {FilePath()} (1 budget that is no user left out: LiteLLM's file holds users only)."], export.Lines);
        Assert.True(import.ExitCode == 0, import.ToString());
        JsonObject file = JsonNode.Parse(await File.ReadAllTextAsync(FilePath()))!.AsObject();
        Assert.Equal(["alice", "bob"], file.Select(u => u.Key).Order(StringComparer.Ordinal)); // LiteLLM's users
        IReadOnlyList<BudgetState> before = await _db.Store.ListBudgetsAsync("default");
        IReadOnlyList<BudgetState> after = await copy.Store.ListBudgetsAsync("default");
        Assert.Equal(
            before.Where(b => b.Key.StartsWith("user:", StringComparison.Ordinal)).Select(b => (b.Key, b.Limit, b.Definition.Period, b.Spent, b.SpendByModel.Single())),
            after.Select(b => (b.Key, b.Limit, b.Definition.Period, b.Spent, b.SpendByModel.Single())));

        // LiteLLM's file keeps a window's start only for budgets with a period (last_updated_at), to the microsecond.
        Assert.Equal(before[1].WindowStart.ToUnixTimeMilliseconds(), after[0].WindowStart.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Export_ToTheDefaultFile_InTheCurrentFolder_AsJson()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));

        CliResult export = await CliProcess.RunAsync(["--db", _db.Path, "export-litellm", "--json"], environment: null, workingDirectory: _db.Folder);

        JsonElement json = export.Json();
        Assert.Equal((FilePath(), 1, 0), (json.GetProperty("file").GetString(), json.GetProperty("exported").GetInt32(), json.GetProperty("skipped").GetInt32()));
        Assert.True(File.Exists(FilePath()));
    }

    [Fact]
    public async Task Export_ToDash_WritesTheFileOnStdout()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));
        await _db.Store.ChargeAsync("default", ["user:alice"], 1.25m, "gpt-4o", "c1");

        CliResult export = await _db.RunAsync("export-litellm", "-");

        Assert.True(export.ExitCode == 0, export.ToString());
        JsonObject file = JsonNode.Parse(export.Out)!.AsObject();
        Assert.Equal(1.25m, file["alice"]!["current_cost"]!.GetValue<decimal>());
        Assert.Contains("Exported 1 user", export.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ExitsWith1_AndChangesNothing_WhenTheProjectHasBudgets_UnlessForced()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));
        await _db.Store.ChargeAsync("default", ["user:alice"], 1m, null, "c1");
        await File.WriteAllTextAsync(FilePath(), """{ "alice": { "total_budget": 10, "current_cost": 2 } }""");

        CliResult refused = await _db.RunAsync("import-litellm", FilePath());
        decimal spentAfterRefusal = (await _db.Store.GetBudgetAsync("default", "user:alice"))!.Spent;
        CliResult forced = await _db.RunAsync("import-litellm", FilePath(), "--force");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1m, spentAfterRefusal);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(3m, (await _db.Store.GetBudgetAsync("default", "user:alice"))!.Spent);
    }

    [Fact]
    public async Task Import_ExitsWith5_AndWritesNothing_WhenTheFileIsNotLiteLlms()
    {
        await File.WriteAllTextAsync(FilePath(), """{ "alice": { "total_budget": 10 }, "bob": { "total_budget": "lots" } }""");

        CliResult import = await _db.RunAsync("import-litellm", FilePath());

        Assert.Equal(5, import.ExitCode);
        Assert.Contains("'bob'", import.Error, StringComparison.Ordinal);
        Assert.Empty(await _db.Store.ListBudgetsAsync("default"));
    }

    [Fact]
    public async Task Import_ExitsWith5_WhenTheFileDoesNotExist()
    {
        CliResult import = await _db.RunAsync("import-litellm", FilePath("missing.json"));

        Assert.Equal(5, import.ExitCode);
        Assert.Contains(FilePath("missing.json"), import.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_DrawsAProgressBarOnStderr_WhenStderrIsATerminal()
    {
        // script(1) runs the tool on a pseudo-terminal, as a person's shell would; 300 users is a large file.
        const int Users = 300;
        Assert.True(File.Exists("/usr/bin/script"), "The test needs util-linux's script to give the tool a terminal.");
        await File.WriteAllTextAsync(FilePath(), JsonSerializer.Serialize(Enumerable.Range(0, Users).ToDictionary(i => $"u{i}", _ => new Dictionary<string, decimal> { ["total_budget"] = 1m })));
        string command = string.Join(' ', new[] { CliProcess.Dotnet, CliProcess.ToolPath, "--db", _db.Path, "import-litellm", FilePath() }.Select(a => $"'{a}'"));
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", command, "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> read = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        string terminal = await read;

        Assert.True(process.ExitCode == 0, terminal);
        Assert.Contains($"\rImporting [------------------------------] 0/{Users} users", terminal, StringComparison.Ordinal);
        Assert.Contains($"\rImporting [##############################] {Users}/{Users} users", terminal, StringComparison.Ordinal);
        Assert.Contains($"Imported {Users} users from", terminal, StringComparison.Ordinal);
    }
}
