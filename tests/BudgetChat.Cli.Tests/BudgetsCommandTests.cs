using System.Text.Json;

namespace BudgetChat.Cli.Tests;

/// <summary><c>budgetchat budgets ...</c> on a real SQLite file in a temp folder, the tool run as a process.</summary>
public sealed class BudgetsCommandTests : IAsyncLifetime
{
    private readonly SqliteFile _db = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Set_CreatesTheDatabaseAndTheBudget_InTheDefaultProject()
    {
        CliResult set = await _db.RunAsync("budgets", "set", "user:alice", "--limit", "10", "--period", "daily");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.True(File.Exists(_db.Path));
        BudgetState budget = Assert.IsType<BudgetState>(await _db.Store.GetBudgetAsync(BudgetingChatClientOptions.DefaultProjectName, "user:alice"));
        Assert.Equal((10m, BudgetPeriod.Daily, BudgetWindowAlignment.Calendar), (budget.Limit, budget.Definition.Period, budget.Definition.Alignment));
        Assert.Contains(set.Lines, l => l == "Limit        $10.00 daily (calendar)");
    }

    [Fact]
    public async Task Get_Json_ParsesBackToTheBudgetInTheStore()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(25m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling, [0.8m]));
        await _db.Store.ChargeAsync("default", ["user:alice"], 1.25m, "gpt-4o", "c1");
        await _db.Store.ChargeAsync("default", ["user:alice"], 0.000125m, "gpt-4o-mini", "c2");
        BudgetState stored = (await _db.Store.GetBudgetAsync("default", "user:alice"))!;

        JsonElement json = (await _db.RunAsync("budgets", "get", "user:alice", "--json")).Json();

        Assert.Equal("default", json.GetProperty("project").GetString());
        Assert.Equal("user:alice", json.GetProperty("key").GetString());
        Assert.Equal(25m, json.GetProperty("limit").GetDecimal());
        Assert.Equal("monthly", json.GetProperty("period").GetString());
        Assert.Equal("rolling", json.GetProperty("alignment").GetString());
        Assert.Equal(1.250125m, json.GetProperty("spent").GetDecimal());
        Assert.Equal(stored.Remaining, json.GetProperty("remaining").GetDecimal());
        Assert.Equal(stored.WindowStart, json.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(stored.WindowEnd, json.GetProperty("windowEnd").GetDateTimeOffset());
        Assert.Equal([0.8m], json.GetProperty("alertThresholds").EnumerateArray().Select(t => t.GetDecimal()));
        Assert.Equal(0.000125m, json.GetProperty("spendByModel").GetProperty("gpt-4o-mini").GetDecimal());
        JsonElement limit = Assert.Single(json.GetProperty("limits").EnumerateArray());
        Assert.Equal(("dollars", 25m, 1.250125m), (limit.GetProperty("unit").GetString(), limit.GetProperty("amount").GetDecimal(), limit.GetProperty("spent").GetDecimal()));
    }

    [Fact]
    public async Task Get_PrintsTheFigures_WithDollarsAndThousandsSeparators_AndSpendPerModel()
    {
        await _db.Store.SetBudgetAsync("default", "global", new BudgetDefinition(12_345.5m));
        await _db.Store.ChargeAsync("default", ["global"], 1_234.5m, "gpt-4o", "c1");

        CliResult get = await _db.RunAsync("budgets", "get", "global");

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("Limit        $12,345.50 total", get.Lines);
        Assert.Contains("Spent        $1,234.50", get.Lines);
        Assert.Contains("Remaining    $11,111.00", get.Lines);
        string[][] models = TableAssert.Cells([.. get.Lines.SkipWhile(l => !l.StartsWith("MODEL", StringComparison.Ordinal))], "SPENT");
        Assert.Equal(["gpt-4o", "$1,234.50"], models[1]);
    }

    [Fact]
    public async Task List_PrintsAnAlignedTable_OneRowPerBudgetInKeyOrder()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m, BudgetPeriod.Daily));
        await _db.Store.SetBudgetAsync("default", "global", new BudgetDefinition(1_000_000m, BudgetPeriod.Monthly));
        await _db.Store.ChargeAsync("default", ["global", "user:alice"], 2.5m, "gpt-4o", "c1");
        BudgetState alice = (await _db.Store.GetBudgetAsync("default", "user:alice"))!;

        CliResult list = await _db.RunAsync("budgets", "list");

        Assert.True(list.ExitCode == 0, list.ToString());
        string[][] rows = TableAssert.Cells(list.Lines[..^1], "LIMIT", "SPENT", "RESERVED", "REMAINING");
        Assert.Equal(["KEY", "LIMIT", "PERIOD", "SPENT", "RESERVED", "REMAINING", "RESETS"], rows[0]);
        Assert.Equal(["global", "$1,000,000.00", "monthly", "$2.50", "$0.00", "$999,997.50"], rows[1][..6]);
        Assert.Equal(["user:alice", "$10.00", "daily", "$2.50", "$0.00", "$7.50", alice.WindowEnd!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)], rows[2]);
        Assert.Equal("2 budgets in project 'default'.", list.Lines[^1]);
    }

    [Fact]
    public async Task List_Json_HoldsEveryBudgetOfTheProjectOnly()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));
        await _db.Store.SetBudgetAsync("other", "user:bob", new BudgetDefinition(20m));

        JsonElement json = (await _db.RunAsync("budgets", "list", "--json")).Json();
        JsonElement other = (await _db.RunAsync("--project", "other", "budgets", "list", "--json")).Json();

        Assert.Equal("default", json.GetProperty("project").GetString());
        Assert.Equal(["user:alice"], json.GetProperty("budgets").EnumerateArray().Select(b => b.GetProperty("key").GetString()));
        Assert.Equal(["user:bob"], other.GetProperty("budgets").EnumerateArray().Select(b => b.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task List_SaysSo_WhenTheProjectHasNoBudgets()
    {
        await _db.Store.SetBudgetAsync("elsewhere", "global", new BudgetDefinition(1m));

        CliResult list = await _db.RunAsync("budgets", "list");

        Assert.Equal(0, list.ExitCode);
        Assert.Equal(["Project 'default' has no budgets."], list.Lines);
    }

    [Fact]
    public async Task Set_ChangesOnlyTheLimit_KeepingSpendPeriodAndOtherLimits()
    {
        var definition = new BudgetDefinition(10m, BudgetPeriod.Daily).WithLimit(BudgetLimit.Tokens(100_000, BudgetPeriod.Minutely));
        await _db.Store.SetBudgetAsync("default", "user:alice", definition);
        await _db.Store.ChargeAsync("default", ["user:alice"], 2m, "gpt-4o", "c1");

        JsonElement json = (await _db.RunAsync("budgets", "set", "user:alice", "--limit", "$1,500", "--json")).Json();

        Assert.Equal((1500m, "daily", 2m), (json.GetProperty("limit").GetDecimal(), json.GetProperty("period").GetString(), json.GetProperty("spent").GetDecimal()));
        BudgetState budget = (await _db.Store.GetBudgetAsync("default", "user:alice"))!;
        Assert.Equal(2, budget.Definition.Limits.Count);
        Assert.Equal(BudgetUnit.Tokens, budget.Definition.Limits[1].Unit);
    }

    [Fact]
    public async Task Set_ChangesThePeriodAndAlignment_WhenGiven()
    {
        await _db.Store.SetBudgetAsync("default", "global", new BudgetDefinition(10m, BudgetPeriod.Daily));

        JsonElement json = (await _db.RunAsync("budgets", "set", "global", "--limit", "10", "--period", "weekly", "--alignment", "rolling", "--json")).Json();

        Assert.Equal(("weekly", "rolling"), (json.GetProperty("period").GetString(), json.GetProperty("alignment").GetString()));
    }

    [Fact]
    public async Task Reset_SetsTheSpendToZero()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));
        await _db.Store.ChargeAsync("default", ["user:alice"], 4m, null, "c1");

        JsonElement json = (await _db.RunAsync("budgets", "reset", "user:alice", "--json")).Json();

        Assert.Equal(0m, json.GetProperty("spent").GetDecimal());
        Assert.Equal(0m, (await _db.Store.GetBudgetAsync("default", "user:alice"))!.Spent);
    }

    [Fact]
    public async Task Delete_RemovesTheBudget_AndSaysWhich()
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));

        CliResult delete = await _db.RunAsync("budgets", "delete", "user:alice");

        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal(["Deleted budget 'user:alice' of project 'default'."], delete.Lines);
        Assert.Null(await _db.Store.GetBudgetAsync("default", "user:alice"));
    }

    [Theory]
    [InlineData("get")]
    [InlineData("reset")]
    [InlineData("delete")]
    public async Task ExitsWith1_NamingTheKey_WhenTheKeyHasNoBudget(string command)
    {
        await _db.Store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));

        CliResult result = await _db.RunAsync("budgets", command, "user:nobody");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.Contains("'user:nobody'", result.Error, StringComparison.Ordinal);
        Assert.NotNull(await _db.Store.GetBudgetAsync("default", "user:alice"));
    }

    [Theory]
    [InlineData("budgets", "list")]
    [InlineData("budgets", "get", "global")]
    [InlineData("budgets", "reset", "global")]
    [InlineData("export-litellm", "out.json")]
    public async Task ExitsWith5_AndCreatesNoFile_WhenTheDatabaseDoesNotExist(params string[] command)
    {
        string missing = Path.Combine(_db.Folder, "missing.db");

        CliResult result = await CliProcess.RunAsync(["--db", missing, .. command]);

        Assert.Equal(5, result.ExitCode);
        Assert.Contains(missing, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task ExitsWith5_WhenTheDatabaseFileIsNotADatabase()
    {
        await File.WriteAllTextAsync(_db.Path, "this is not a SQLite database, just text that is long enough to be read as a header...");

        CliResult result = await _db.RunAsync("budgets", "list");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains(_db.Path, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsesTheTimeZone_ForCalendarWindows()
    {
        JsonElement json = (await CliProcess.RunAsync("--db", _db.Path, "--time-zone", "Asia/Tokyo", "budgets", "set", "global", "--limit", "1", "--period", "daily", "--json")).Json();

        // A day of Tokyo starts at 15:00 UTC.
        Assert.Equal(15, json.GetProperty("windowStart").GetDateTimeOffset().UtcDateTime.Hour);
    }
}
