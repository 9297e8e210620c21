using System.Text.Json;

namespace BudgetChat.Cli.Tests;

/// <summary>
/// <c>spend</c> and <c>verify</c> on the spend ledger of <see cref="SpendScenario"/>, the same tests for each store:
/// a SQLite file and the budget service (the tool as a process), and an in-memory store (the tool in process).
/// </summary>
public abstract class SpendAndVerifyTests : IAsyncLifetime
{
    protected abstract IBudgetStore Store { get; }

    protected abstract string Project { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    private protected abstract Task<CliResult> RunAsync(params string[] arguments);

    protected Task SeedAsync() => SpendScenario.SeedAsync(Store, Project);

    [Fact]
    public async Task Spend_ListsTheRecords_NewestFirst_InAnAlignedTable()
    {
        await SeedAsync();

        CliResult spend = await RunAsync("spend");

        Assert.True(spend.ExitCode == 0, spend.ToString());
        string[][] rows = TableAssert.Cells(spend.Lines[..^1], "SEQ", "TOKENS", "COST");
        Assert.Equal(["SEQ", "TIME", "OUTCOME", "KEYS", "USER", "MODEL", "TOKENS", "COST"], rows[0]);
        Assert.Equal(5, rows.Length);
        Assert.Equal(["refused", "user:bob,global", "bob", "gpt-4o", "0", "$0.00"], rows[1][2..]);
        Assert.Equal(["charged", "user:alice,global", "alice", "claude-sonnet-4", "2,500", "$2.00"], rows[2][2..]);
        Assert.Equal(["charged", "user:alice,global", "alice", "gpt-4o", "1,000", "$1.25"], rows[4][2..]);
        Assert.True(long.Parse(rows[1][0].Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(rows[4][0].Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("4 records.", spend.Lines[^1]);
    }

    [Fact]
    public async Task Spend_Json_ParsesBackToTheRecords()
    {
        await SeedAsync();

        JsonElement json = (await RunAsync("spend", "--json")).Json();

        Assert.Equal(Project, json.GetProperty("project").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("next").ValueKind);
        JsonElement[] records = [.. json.GetProperty("records").EnumerateArray()];
        Assert.Equal(["c4", "c3", "c2", "c1"], records.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["refused", "charged", "charged", "charged"], records.Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal([0m, 2m, 0.5m, 1.25m], records.Select(r => r.GetProperty("cost").GetDecimal()));
        JsonElement c1 = records[3];
        Assert.Equal(["user:alice", "global"], c1.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(("alice", "gpt-4o", 1000L, 800L, 200L), (c1.GetProperty("user").GetString(), c1.GetProperty("model").GetString(), c1.GetProperty("tokens").GetInt64(), c1.GetProperty("inputTokens").GetInt64(), c1.GetProperty("outputTokens").GetInt64()));
        Assert.Empty(c1.GetProperty("marks").EnumerateArray());
        Assert.Equal(("user:bob", "monthly"), (records[0].GetProperty("refusedKey").GetString(), records[0].GetProperty("refusedWindow").GetString()));
        Assert.True(records[0].GetProperty("sequence").GetInt64() > records[1].GetProperty("sequence").GetInt64());
    }

    [Fact]
    public async Task Spend_PagesThroughTheRecords_WithLimitAndTheNextSequence()
    {
        await SeedAsync();

        CliResult first = await RunAsync("spend", "--limit", "3");
        JsonElement page = (await RunAsync("spend", "--limit", "3", "--json")).Json();
        long next = page.GetProperty("next").GetInt64();
        JsonElement rest = (await RunAsync("spend", "--limit", "3", "--before", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json();

        Assert.Equal($"3 records; more with --before {next}.", first.Lines[^1]);
        Assert.Equal(["c4", "c3", "c2"], page.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["c1"], rest.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Spend_OldestFirst_PagesWithAfter()
    {
        await SeedAsync();

        JsonElement page = (await RunAsync("spend", "--order", "oldest", "--limit", "2", "--json")).Json();
        CliResult text = await RunAsync("spend", "--order", "oldest", "--limit", "2");
        long next = page.GetProperty("next").GetInt64();
        JsonElement rest = (await RunAsync("spend", "--order", "oldest", "--after", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json();

        Assert.Equal(["c1", "c2"], page.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.EndsWith($"more with --after {next}.", text.Lines[^1], StringComparison.Ordinal);
        Assert.Equal(["c3", "c4"], rest.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("--user", "bob", "c4,c2")]
    [InlineData("--model", "gpt-4o", "c4,c1")]
    [InlineData("--key", "user:alice", "c3,c1")]
    [InlineData("--outcome", "refused", "c4")]
    [InlineData("--outcome", "charged", "c3,c2,c1")]
    [InlineData("--to", "2000-01-01", "")]
    [InlineData("--from", "1d", "c4,c3,c2,c1")]
    public async Task Spend_Filters(string option, string value, string ids)
    {
        await SeedAsync();

        JsonElement json = (await RunAsync("spend", option, value, "--json")).Json();

        Assert.Equal(ids, string.Join(',', json.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString())));
    }

    [Fact]
    public async Task Spend_SaysSo_WhenNoRecordMatches()
    {
        await SeedAsync();

        CliResult spend = await RunAsync("spend", "--user", "carol");

        Assert.Equal(0, spend.ExitCode);
        Assert.Equal([$"No spend records in project '{Project}' match."], spend.Lines);
    }

    [Fact]
    public async Task Spend_GroupByUser_AddsUpEachUsersCalls_HighestCostFirst()
    {
        await SeedAsync();

        JsonElement json = (await RunAsync("spend", "--group-by", "user", "--json")).Json();
        CliResult table = await RunAsync("spend", "--group-by", "user");

        Assert.Equal("user", json.GetProperty("groupBy").GetString());
        JsonElement[] groups = [.. json.GetProperty("groups").EnumerateArray()];
        Assert.Equal(["alice", "bob"], groups.Select(g => g.GetProperty("value").GetString()));
        Assert.Equal((2L, 0L, SpendScenario.AliceSpent, 3_500L), (groups[0].GetProperty("calls").GetInt64(), groups[0].GetProperty("refused").GetInt64(), groups[0].GetProperty("cost").GetDecimal(), groups[0].GetProperty("tokens").GetInt64()));
        Assert.Equal((2L, 1L, SpendScenario.BobSpent), (groups[1].GetProperty("calls").GetInt64(), groups[1].GetProperty("refused").GetInt64(), groups[1].GetProperty("cost").GetDecimal()));
        string[][] rows = TableAssert.Cells(table.Lines, "CALLS", "REFUSED", "TOKENS", "INPUT", "OUTPUT", "COST");
        Assert.Equal(["USER", "CALLS", "REFUSED", "TOKENS", "INPUT", "OUTPUT", "COST"], rows[0]);
        Assert.Equal(["alice", "2", "0", "3,500", "2,800", "700", "$3.25"], rows[1]);
        Assert.Equal(["bob", "2", "1", "4,000", "3,200", "800", "$0.50"], rows[2]);
    }

    [Fact]
    public async Task Spend_GroupByWithTop_ListsTheCostliestGroupsOnly()
    {
        await SeedAsync();

        JsonElement json = (await RunAsync("spend", "--group-by", "key", "--top", "2", "--json")).Json();

        Assert.Equal(["global", "user:alice"], json.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("value").GetString()));
    }

    [Fact]
    public async Task Spend_GroupByNone_IsTheTotal()
    {
        await SeedAsync();

        JsonElement group = Assert.Single((await RunAsync("spend", "--group-by", "none", "--json")).Json().GetProperty("groups").EnumerateArray());

        Assert.Equal((4L, 1L, SpendScenario.AliceSpent + SpendScenario.BobSpent), (group.GetProperty("calls").GetInt64(), group.GetProperty("refused").GetInt64(), group.GetProperty("cost").GetDecimal()));
    }

    [Fact]
    public async Task Spend_GroupByKey_CountsACallInEachOfItsKeys()
    {
        await SeedAsync();

        JsonElement json = (await RunAsync("spend", "--group-by", "key", "--outcome", "charged", "--json")).Json();

        Assert.Equal(
            [("global", SpendScenario.AliceSpent + SpendScenario.BobSpent), ("user:alice", SpendScenario.AliceSpent), ("user:bob", SpendScenario.BobSpent)],
            json.GetProperty("groups").EnumerateArray().Select(g => (g.GetProperty("value").GetString(), g.GetProperty("cost").GetDecimal())));
    }

    [Fact]
    public async Task Verify_Exits0_AndPrintsEachBudget_WhenEveryBudgetBalances()
    {
        await SeedAsync();

        CliResult verify = await RunAsync("verify");
        JsonElement json = (await RunAsync("verify", "--json")).Json();

        Assert.True(verify.ExitCode == 0, verify.ToString());
        string[][] rows = TableAssert.Cells(verify.Lines[..^1], "SPENT", "RECORDED", "CALLS");
        Assert.Equal(["KEY", "WINDOW START", "SPENT", "RECORDED", "CALLS", "STATUS"], rows[0]);
        Assert.Equal(["global", "user:alice", "user:bob"], rows[1..].Select(r => r[0]));
        Assert.Equal(["$3.25", "$3.25", "2", "ok"], rows[2][2..]);
        Assert.Equal("All 3 budgets balance.", verify.Lines[^1]);
        Assert.True(json.GetProperty("balanced").GetBoolean());
        JsonElement global = json.GetProperty("budgets")[0];
        Assert.Equal(("global", 3.75m, 3.75m, true), (global.GetProperty("key").GetString(), global.GetProperty("spent").GetDecimal(), global.GetProperty("recorded").GetDecimal(), global.GetProperty("balanced").GetBoolean()));
    }

    [Fact]
    public async Task Verify_ExitsWith1_NamingTheBudget_WhenItsRecordsAreGone()
    {
        await SeedAsync();

        // Records pruned past the window start: the spend stays, the records that made it do not.
        await ((IBudgetSpendLog)Store).PruneSpendAsync(DateTimeOffset.MaxValue);
        CliResult verify = await RunAsync("verify", "user:alice");
        CliResult json = await RunAsync("verify", "--json");

        Assert.Equal(1, verify.ExitCode);
        string[][] rows = TableAssert.Cells(verify.Lines[..^1], "SPENT", "RECORDED", "CALLS");
        Assert.Equal(["user:alice", rows[1][1], "$3.25", "$0.00", "0", "OFF BY $3.25"], rows[1]);
        Assert.Equal("1 of 1 budget does not balance: the spend is not what the records add up to.", verify.Lines[^1]);
        Assert.Equal(1, json.ExitCode);
        using JsonDocument document = JsonDocument.Parse(json.Out);
        Assert.False(document.RootElement.GetProperty("balanced").GetBoolean());
    }

    [Fact]
    public async Task Verify_ExitsWith1_WhenTheKeyHasNoBudget()
    {
        await SeedAsync();

        CliResult verify = await RunAsync("verify", "user:nobody");

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("'user:nobody'", verify.Error, StringComparison.Ordinal);
    }
}

/// <summary>The spend ledger of a SQLite file, read by the tool with <c>--db</c>.</summary>
public sealed class SqliteSpendAndVerifyTests : SpendAndVerifyTests
{
    private readonly SqliteFile _db = new();

    protected override IBudgetStore Store => _db.Store;

    protected override string Project => "default";

    public override Task InitializeAsync() => Task.CompletedTask;

    public override async Task DisposeAsync() => await _db.DisposeAsync();

    private protected override Task<CliResult> RunAsync(params string[] arguments) => _db.RunAsync(arguments);
}

/// <summary>The spend ledger of the budget service, read by the tool with <c>--url</c> and the key from the environment.</summary>
public sealed class ServiceSpendAndVerifyTests : SpendAndVerifyTests
{
    private BudgetService _service = null!;

    protected override IBudgetStore Store => _service.Store;

    protected override string Project => BudgetService.Project;

    public override async Task InitializeAsync() => _service = await BudgetService.StartAsync();

    public override async Task DisposeAsync() => await _service.DisposeAsync();

    private protected override Task<CliResult> RunAsync(params string[] arguments) => _service.RunAsync(arguments);
}

/// <summary>
/// The spend ledger of an <see cref="InMemoryBudgetStore"/>, the tool run in process on it: the same commands and
/// output whatever the store.
/// </summary>
public sealed class InMemorySpendAndVerifyTests : SpendAndVerifyTests
{
    private readonly InMemoryBudgetStore _store = new();

    protected override IBudgetStore Store => _store;

    protected override string Project => "default";

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;

    private protected override Task<CliResult> RunAsync(params string[] arguments) => InProcess.RunAsync(_store, arguments);
}
