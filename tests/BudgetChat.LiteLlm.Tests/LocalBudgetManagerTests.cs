using System.Text.Json;
using System.Text.Json.Nodes;
using BudgetChat.Sqlite;
using BudgetChat.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.LiteLlm.Tests;

/// <summary>
/// The local client: budgets in a SQLite file, LiteLLM's <c>user_cost.json</c> imported on first use and written by
/// <see cref="BudgetManager.SaveDataAsync"/>. Real files in a temp folder.
/// </summary>
public sealed class LocalBudgetManagerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly FakeLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    public LocalBudgetManagerTests() => _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs));

    private string DatabasePath => Path.Combine(_folder.Path, "budgetchat.db");

    private string LiteLlmFile => Path.Combine(_folder.Path, "user_cost.json");

    public void Dispose()
    {
        _loggerFactory.Dispose();
        _logs.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task FirstUse_ImportsLiteLlmsFile_WithEveryUsersBudgetAndSpend()
    {
        long hourAgo = Now.AddHours(-1).ToUnixTimeSeconds();
        File.WriteAllText(LiteLlmFile, $$"""
            {
              "1234": { "total_budget": 10, "current_cost": 2.5, "model_cost": { "gpt-4o": 2.0, "gpt-4o-mini": 0.5 } },
              "daily": { "total_budget": 1.5, "duration": 1, "created_at": {{hourAgo - 86_400}}, "last_updated_at": {{hourAgo}}, "current_cost": 0.7, "model_cost": { "gpt-4o": 0.7 } },
              "new": { "total_budget": 3 }
            }
            """);

        using BudgetManager manager = Local("test_project");

        Assert.Equal(["1234", "daily", "new"], await manager.GetUsersAsync());
        Assert.Equal(10m, await manager.GetTotalBudgetAsync("1234"));
        Assert.Equal(2.5m, await manager.GetCurrentCostAsync("1234"));
        Assert.Equal(new Dictionary<string, decimal> { ["gpt-4o"] = 2.0m, ["gpt-4o-mini"] = 0.5m }, await manager.GetModelCostAsync("1234"));
        Assert.Equal(0.7m, await manager.GetCurrentCostAsync("daily"));
        Assert.Equal(0m, await manager.GetCurrentCostAsync("new"));
        BudgetState daily = (await manager.Store.GetBudgetAsync("test_project", "user:daily"))!;
        Assert.Equal(BudgetPeriod.Daily, daily.Definition.Period);
        Assert.Equal(BudgetWindowAlignment.Rolling, daily.Definition.Alignment);
        Assert.Equal(Now.AddHours(-1), daily.WindowStart);
        Assert.Equal(Now.AddHours(23), daily.WindowEnd);
        FakeLogRecord imported = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Message.Contains("Imported", StringComparison.Ordinal));
        Assert.Contains(LiteLlmFile, imported.Message, StringComparison.Ordinal);
        Assert.Contains("3 users", imported.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_FollowsLiteLlmsResetRule_AnEndedWindowStartsAtZero()
    {
        long threeDaysAgo = Now.AddDays(-3).ToUnixTimeSeconds();
        File.WriteAllText(LiteLlmFile, $$"""{ "u": { "total_budget": 10, "duration": 1, "created_at": {{threeDaysAgo}}, "last_updated_at": {{threeDaysAgo}}, "current_cost": 5.0 } }""");

        using BudgetManager manager = Local("p");

        Assert.Equal(0m, await manager.GetCurrentCostAsync("u"));
        Assert.Equal(10m, await manager.GetTotalBudgetAsync("u"));
    }

    [Fact]
    public async Task Import_HappensOnce_AndNeverIntoAProjectThatHasBudgets()
    {
        File.WriteAllText(LiteLlmFile, """{ "1234": { "total_budget": 10, "current_cost": 2.5 } }""");
        using (BudgetManager first = Local("p"))
        {
            Assert.Equal(2.5m, await first.GetCurrentCostAsync("1234"));
            await first.UpdateCostAsync("1234", "gpt-4o", "hello", "world");
        }

        File.WriteAllText(LiteLlmFile, """{ "1234": { "total_budget": 99, "current_cost": 50 }, "other": { "total_budget": 1 } }""");
        using BudgetManager second = Local("p");

        Assert.Equal(["1234"], await second.GetUsersAsync());
        Assert.Equal(10m, await second.GetTotalBudgetAsync("1234"));
        Assert.True(await second.GetCurrentCostAsync("1234") > 2.5m);
        Assert.True(await second.GetCurrentCostAsync("1234") < 3m);
    }

    [Fact]
    public async Task ConcurrentFirstCalls_ImportTheFileOnce()
    {
        File.WriteAllText(LiteLlmFile, """{ "1234": { "total_budget": 10, "current_cost": 2.5 } }""");
        using BudgetManager manager = Local("p");

        decimal[] seen = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => manager.GetCurrentCostAsync("1234"))));

        Assert.All(seen, spent => Assert.Equal(2.5m, spent));
        Assert.Equal(2.5m, await manager.GetCurrentCostAsync("1234"));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{ "1234": { "current_cost": 1 } }""")]
    [InlineData("""{ "1234": { "total_budget": 10, "duration": 2 } }""")]
    [InlineData("""{ "1234": { "total_budget": -1 } }""")]
    public async Task DamagedFile_IsReportedWithItsPath_AndLeftUntouched_AndNothingIsImported(string content)
    {
        File.WriteAllText(LiteLlmFile, content);
        using BudgetManager manager = Local("p");

        var ex = await Assert.ThrowsAsync<FormatException>(() => manager.GetUsersAsync());

        Assert.Contains(LiteLlmFile, ex.Message, StringComparison.Ordinal);
        Assert.True(!content.Contains("\"duration\"", StringComparison.Ordinal) || ex.Message.Contains("1, 7, 28 to 31 (whole days), 365 or 366 days", StringComparison.Ordinal), ex.Message);
        Assert.Equal(content, File.ReadAllText(LiteLlmFile));
        Assert.Empty(await manager.Store.ListBudgetsAsync("p"));
        Assert.Contains(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains(LiteLlmFile, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SaveData_WritesUserCostJson_InExactlyLiteLlmsShape()
    {
        using (BudgetManager manager = Local("p"))
        {
            await manager.CreateBudgetAsync("1234", 10m);
            await manager.CreateBudgetAsync("daily", 2m, "daily");
            await manager.UpdateCostAsync("1234", "gpt-4o", "hello", "world");

            await manager.SaveDataAsync();
        }

        JsonObject written = JsonNode.Parse(File.ReadAllText(LiteLlmFile))!.AsObject();
        Assert.Equal(["1234", "daily"], written.Select(p => p.Key));
        JsonObject plain = written["1234"]!.AsObject();
        Assert.Equal(["total_budget", "current_cost", "model_cost", "budgetchat"], plain.Select(p => p.Key)); // LiteLLM ignores the last
        Assert.Equal(10m, plain["total_budget"]!.GetValue<decimal>());
        decimal spent = plain["current_cost"]!.GetValue<decimal>();
        Assert.True(spent > 0m);
        Assert.Equal(spent, plain["model_cost"]!["gpt-4o"]!.GetValue<decimal>());
        JsonObject daily = written["daily"]!.AsObject();
        Assert.Equal(["total_budget", "duration", "created_at", "last_updated_at", "current_cost", "model_cost", "budgetchat"], daily.Select(p => p.Key));
        Assert.Equal(1, daily["duration"]!.GetValue<int>());
        Assert.Equal(Now.ToUnixTimeSeconds(), daily["created_at"]!.GetValue<decimal>());

        // LiteLLM's file read back by a manager on a fresh database: the same users and spend.
        File.Delete(DatabasePath);
        using BudgetManager again = Local("p", Path.Combine(_folder.Path, "again.db"));
        Assert.Equal(spent, await again.GetCurrentCostAsync("1234"));
        Assert.Equal(2m, await again.GetTotalBudgetAsync("daily"));
    }

    // Issue 15's round trip: a file as LiteLLM writes it (float times from time.time(), users with and without a
    // duration, a window that has ended, spend per model) is picked up, charged, saved, and reads back in LiteLLM's
    // shape with exactly the real users.
    [Fact]
    public async Task ALiteLlmFile_IsImported_Charged_Saved_AndReadsBackInLiteLlmsShape_WithOnlyTheRealUsers()
    {
        decimal hourAgo = Now.AddHours(-1).ToUnixTimeSeconds() + 0.123456m;
        decimal fourDaysAgo = Now.AddDays(-4).ToUnixTimeSeconds() + 0.5m;
        File.WriteAllText(LiteLlmFile, $$"""
            {
              "plain": { "total_budget": 10.0, "current_cost": 1.25, "model_cost": { "gpt-4o": 1.0, "gpt-4o-mini": 0.25 } },
              "daily": { "total_budget": 2.0, "duration": 1, "created_at": {{hourAgo}}, "last_updated_at": {{hourAgo}}, "current_cost": 0.5, "model_cost": { "gpt-4o": 0.5 } },
              "ended": { "total_budget": 3.0, "duration": 1, "created_at": {{fourDaysAgo}}, "last_updated_at": {{fourDaysAgo}}, "current_cost": 2.75, "model_cost": { "gpt-4o": 2.75 } }
            }
            """);

        decimal charged;
        using (BudgetManager manager = Local("test_project"))
        {
            Assert.Equal(["daily", "ended", "plain"], (await manager.GetUsersAsync()).Order());
            Assert.Equal(0m, await manager.GetCurrentCostAsync("ended"));
            charged = (await manager.UpdateCostAsync("daily", "gpt-4o", "hello", "world")).Spent - 0.5m;
            Assert.True(charged > 0m);
            await manager.SaveDataAsync();
        }

        JsonObject written = JsonNode.Parse(File.ReadAllText(LiteLlmFile))!.AsObject();
        Assert.Equal(["daily", "ended", "plain"], written.Select(p => p.Key).Order()); // LiteLLM's get_users()
        string[] liteLlmMembers = ["total_budget", "duration", "created_at", "last_updated_at", "current_cost", "model_cost", "budgetchat"];
        Assert.All(written, user => Assert.Empty(user.Value!.AsObject().Select(p => p.Key).Except(liteLlmMembers)));

        JsonObject daily = written["daily"]!.AsObject();
        Assert.Equal(0.5m + charged, daily["current_cost"]!.GetValue<decimal>());
        Assert.Equal(0.5m + charged, daily["model_cost"]!["gpt-4o"]!.GetValue<decimal>());
        Assert.Equal(1, daily["duration"]!.GetValue<int>());
        Assert.InRange(daily["last_updated_at"]!.GetValue<decimal>(), hourAgo - 0.001m, hourAgo + 0.001m);

        JsonObject ended = written["ended"]!.AsObject();
        Assert.Equal(0m, ended["current_cost"]!.GetValue<decimal>());
        Assert.Equal(Now.ToUnixTimeSeconds(), ended["last_updated_at"]!.GetValue<decimal>()); // LiteLLM's reset_on_duration would say now too

        JsonObject plain = written["plain"]!.AsObject();
        Assert.False(plain.ContainsKey("duration"));
        Assert.Equal(1.25m, plain["current_cost"]!.GetValue<decimal>());
        Assert.Equal(1.0m, plain["model_cost"]!["gpt-4o"]!.GetValue<decimal>());
        Assert.Equal(0.25m, plain["model_cost"]!["gpt-4o-mini"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task TwoManagers_OnOneDatabase_SeeEachOthersCharges()
    {
        using BudgetManager a = Local("p");
        using BudgetManager b = Local("p");
        await a.CreateBudgetAsync("1234", 10m);

        await b.UpdateCostAsync("1234", "gpt-4o", "hello", "world");

        Assert.Equal(await b.GetCurrentCostAsync("1234"), await a.GetCurrentCostAsync("1234"));
        Assert.True(await a.GetCurrentCostAsync("1234") > 0m);
    }

    [Fact]
    public void Defaults_AreBudgetchatDbAndUserCostJson_InTheWorkingDirectory()
    {
        string project = "defaults-" + Guid.NewGuid().ToString("N");
        string database = Path.Combine(Directory.GetCurrentDirectory(), BudgetManagerOptions.DefaultDatabasePath);

        using (var manager = new BudgetManager(project))
        {
            Assert.Equal(database, Assert.IsType<SqliteBudgetStore>(manager.Store).DatabasePath);
        }

        Assert.Equal("user_cost.json", LiteLlmUserCostFile.DefaultFileName);
    }

    private BudgetManager Local(string project, string? database = null) => new(
        project,
        BudgetClientType.Local,
        options: new BudgetManagerOptions
        {
            DatabasePath = database ?? DatabasePath,
            LiteLlmFilePath = LiteLlmFile,
            TimeProvider = _time,
            TokenEstimator = new TiktokenTokenEstimator(),
            LoggerFactory = _loggerFactory,
        });
}
