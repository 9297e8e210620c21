using System.Text.Json.Nodes;
using BudgetChat.Stores;
using BudgetChat.Tests;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.LiteLlm.Tests;

/// <summary>
/// LiteLLM's <c>user_cost.json</c> as BudgetChat reads and writes it: users only, under their own names, with windows
/// LiteLLM's <c>reset_on_duration</c> ends where the store does. Real files in a temp folder; the file is read as
/// LiteLLM reads it (<c>json.load</c>; its users are the dict's keys).
/// </summary>
public sealed class LiteLlmUserCostFileTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(Now);

    private string FilePath => Path.Combine(_folder.Path, "user_cost.json");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Export_WritesUsersOnly_UnderTheirOwnNames_SoGetUsersIsExactlyTheUsers()
    {
        InMemoryBudgetStore store = Store();
        foreach (string key in (string[])["user:alice", "user:budgetchat", "user:budgetchat:x", "global", "team:search"])
        {
            await store.SetBudgetAsync("p", key, new BudgetDefinition(5m));
        }

        int written = await LiteLlmUserCostFile.ExportAsync(store, "p", FilePath);

        JsonObject file = ReadFile();
        Assert.Equal(["alice", "budgetchat", "budgetchat:x"], file.Select(u => u.Key).Order(StringComparer.Ordinal)); // LiteLLM's get_users()
        Assert.Equal(3, written);
    }

    [Fact]
    public async Task ExportThenImport_KeepsEveryUser_WhateverTheirName()
    {
        InMemoryBudgetStore store = Store();
        foreach (string key in (string[])["user:alice", "user:budgetchat", "user:budgetchat:global", "user:budgetchat:user:x"])
        {
            await store.SetBudgetAsync("p", key, new BudgetDefinition(5m));
            await store.ChargeAsync("p", [key], 1.25m, "gpt-4o", "c-" + key);
        }

        await LiteLlmUserCostFile.ExportAsync(store, "p", FilePath);
        InMemoryBudgetStore again = Store();
        int imported = await LiteLlmUserCostFile.ImportAsync(again, "p", FilePath, _time);

        Assert.Equal(4, imported);
        IReadOnlyList<BudgetState> budgets = await again.ListBudgetsAsync("p");
        Assert.Equal(["user:alice", "user:budgetchat", "user:budgetchat:global", "user:budgetchat:user:x"], budgets.Select(b => b.Key));
        Assert.All(budgets, b => Assert.Equal(1.25m, b.Spent));
    }

    [Fact]
    public async Task Import_ReportsTheUsersOfTheFile_ThenEachUserAsItIsImported()
    {
        File.WriteAllText(FilePath, """{ "alice": { "total_budget": 5, "current_cost": 1 }, "bob": { "total_budget": 7 }, "carol": { "total_budget": 9 } }""");
        InMemoryBudgetStore store = Store();
        var reports = new List<(LiteLlmImportProgress Report, int Budgets)>();
        var progress = new SynchronousProgress(p => reports.Add((p, store.ListBudgetsAsync("p").AsTask().Result.Count)));

        int imported = await LiteLlmUserCostFile.ImportAsync(store, "p", FilePath, progress, _time);

        Assert.Equal(3, imported);
        Assert.Equal(
            [(new LiteLlmImportProgress(0, 3), 0), (new LiteLlmImportProgress(1, 3), 1), (new LiteLlmImportProgress(2, 3), 2), (new LiteLlmImportProgress(3, 3), 3)],
            reports);
    }

    [Fact]
    public async Task Import_ReportsNothing_WhenTheFileIsInvalid()
    {
        File.WriteAllText(FilePath, """{ "alice": { "total_budget": -5 } }""");
        var reports = new List<LiteLlmImportProgress>();

        await Assert.ThrowsAsync<FormatException>(() => LiteLlmUserCostFile.ImportAsync(Store(), "p", FilePath, new SynchronousProgress(reports.Add), _time));

        Assert.Empty(reports);
    }

    [Fact]
    public async Task Import_ReadsAUserNamedBudgetchat_ThatLiteLlmWrote()
    {
        File.WriteAllText(FilePath, """{ "budgetchat": { "total_budget": 5, "current_cost": 1.5, "model_cost": { "gpt-4o": 1.5 } } }""");
        InMemoryBudgetStore store = Store();

        await LiteLlmUserCostFile.ImportAsync(store, "p", FilePath, _time);

        BudgetState user = Assert.Single(await store.ListBudgetsAsync("p"));
        Assert.Equal(("user:budgetchat", 5m, 1.5m), (user.Key, user.Limit, user.Spent));
    }

    [Fact]
    public async Task Import_ReadsAFileAnEarlierBudgetChatWrote_SkippingItsTopLevelEntry()
    {
        File.WriteAllText(FilePath, """
            {
              "alice": { "total_budget": 10, "current_cost": 1, "budgetchat": { "period": "none", "reserved": 0 } },
              "budgetchat:global": { "total_budget": 100, "current_cost": 2 },
              "budgetchat:user:budgetchat": { "total_budget": 3, "current_cost": 0.5 },
              "budgetchat": { "version": 1, "reservations": [], "forget": [] }
            }
            """);
        InMemoryBudgetStore store = Store();

        int imported = await LiteLlmUserCostFile.ImportAsync(store, "p", FilePath, _time);

        Assert.Equal(3, imported);
        Assert.Equal(
            [("global", 2m), ("user:alice", 1m), ("user:budgetchat", 0.5m)],
            (await store.ListBudgetsAsync("p")).Select(b => (b.Key, b.Spent)));
    }

    [Fact]
    public async Task Import_OfAnEndedWindow_StartsANewWindowNow_AtZero()
    {
        decimal longAgo = LiteLlmUserDict.ToUnixSeconds(Now.AddHours(-84));
        File.WriteAllText(FilePath, $$"""{ "old": { "total_budget": 10, "duration": 1, "created_at": {{longAgo}}, "last_updated_at": {{longAgo}}, "current_cost": 5.0 } }""");
        InMemoryBudgetStore store = Store();

        await LiteLlmUserCostFile.ImportAsync(store, "p", FilePath, _time);

        BudgetState old = (await store.GetBudgetAsync("p", "user:old"))!;
        Assert.Equal(0m, old.Spent);
        Assert.Equal(Now, old.WindowStart);
        Assert.Equal(Now.AddHours(-84), old.CreatedAt);
    }

    [Fact]
    public async Task Import_CountsTheEntrysOwnDuration_ACalendarMonthOf31DaysKeepsItsSpendOnDay30()
    {
        var august31 = new DateTimeOffset(2026, 8, 31, 12, 0, 0, TimeSpan.Zero);
        _time.SetUtcNow(august31);
        decimal thirtyDaysAgo = LiteLlmUserDict.ToUnixSeconds(august31.AddDays(-30));
        File.WriteAllText(FilePath, $$"""{ "m": { "total_budget": 10, "duration": 31, "created_at": {{thirtyDaysAgo}}, "last_updated_at": {{thirtyDaysAgo}}, "current_cost": 4.0 } }""");
        InMemoryBudgetStore store = Store();

        await LiteLlmUserCostFile.ImportAsync(store, "p", FilePath, _time);

        Assert.Equal(4m, (await store.GetBudgetAsync("p", "user:m"))!.Spent);
    }

    [Theory]
    [InlineData("2024-02-10T12:00:00Z", 29)] // February of a leap year
    [InlineData("2026-01-31T22:00:00Z", 31)] // 31 Jan, 23:00 in Berlin
    [InlineData("2026-03-29T12:00:00Z", 31)] // Berlin's March: 30 days 23 hours
    [InlineData("2026-12-31T22:30:00Z", 31)] // the last hour of the year in Berlin
    public async Task Export_OfACalendarMonth_IsAWindowLiteLlmResetsExactlyAtItsEnd(string now, int days)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        var store = new InMemoryBudgetStore(new BudgetStoreOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") }, time);
        BudgetState budget = await store.SetBudgetAsync("p", "user:m", new BudgetDefinition(10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar));

        await LiteLlmUserCostFile.ExportAsync(store, "p", FilePath);

        JsonObject entry = ReadFile()["m"]!.AsObject();
        decimal duration = entry["duration"]!.GetValue<decimal>();
        decimal lastUpdatedAt = entry["last_updated_at"]!.GetValue<decimal>();
        Assert.Equal(days, duration);
        Assert.Equal(LiteLlmUserDict.ToUnixSeconds(budget.WindowEnd!.Value), lastUpdatedAt + (duration * 86_400m)); // reset_on_duration's moment
    }

    [Fact]
    public async Task Export_OfABudgetWithPolicies_WritesItsMainLimitOnly()
    {
        InMemoryBudgetStore store = Store();
        await store.SetBudgetAsync("p", "user:alice", new BudgetDefinition(
            [BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), BudgetLimit.Dollars(1m, BudgetPeriod.Daily).ForModels(["gpt-4o"]), BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely)],
            enforcement: BudgetEnforcement.Observe));
        await store.ChargeAsync("p", ["user:alice"], new BudgetUsage(0.5m, 300, "gpt-4o"), "c1");

        await LiteLlmUserCostFile.ExportAsync(store, "p", FilePath);

        JsonObject alice = ReadFile()["alice"]!.AsObject();
        Assert.Equal(["total_budget", "duration", "created_at", "last_updated_at", "current_cost", "model_cost", "budgetchat"], alice.Select(m => m.Key));
        Assert.Equal(10m, alice["total_budget"]!.GetValue<decimal>());
        Assert.Equal(31m, alice["duration"]!.GetValue<decimal>()); // March
        Assert.Equal(0.5m, alice["current_cost"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Import_IntoABudgetWithPolicies_ChangesItsMainLimitOnly()
    {
        InMemoryBudgetStore store = Store();
        BudgetLimit cap = BudgetLimit.Dollars(1m, BudgetPeriod.Daily).ForModels(["gpt-4o"], "premium");
        BudgetLimit tokens = BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely);
        await store.SetBudgetAsync("p", "user:alice", new BudgetDefinition([BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), cap, tokens], [0.5m], BudgetEnforcement.Observe));
        decimal start = LiteLlmUserDict.ToUnixSeconds(Now.AddDays(-2));
        File.WriteAllText(FilePath, $$"""{ "alice": { "total_budget": 20, "duration": 7, "created_at": {{start}}, "last_updated_at": {{start}}, "current_cost": 0.25, "model_cost": { "gpt-4o": 0.25 } } }""");

        await LiteLlmUserCostFile.ImportAsync(store, "p", FilePath, _time);

        BudgetState alice = (await store.GetBudgetAsync("p", "user:alice"))!;
        Assert.Equal(new BudgetDefinition([BudgetLimit.Dollars(20m, BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling), cap, tokens], [0.5m], BudgetEnforcement.Observe), alice.Definition);
        Assert.Equal([0.25m, 0.25m, 0m], alice.Windows.Select(w => w.Spent));
    }

    [Theory]
    [InlineData(BudgetPeriod.Hourly, "0.0416666666666666666666666667")]
    [InlineData(BudgetPeriod.Minutely, "0.0006944444444444444444444444")]
    public async Task ExportThenImport_OfAnHourOrAMinute_KeepsThePeriodAndWindow(BudgetPeriod period, string days)
    {
        InMemoryBudgetStore store = Store();
        BudgetState budget = await store.SetBudgetAsync("p", "user:h", new BudgetDefinition(1m, period, BudgetWindowAlignment.Calendar));
        await store.ChargeAsync("p", ["user:h"], 0.25m, "gpt-4o", "c1");

        await LiteLlmUserCostFile.ExportAsync(store, "p", FilePath);
        InMemoryBudgetStore again = Store();
        await LiteLlmUserCostFile.ImportAsync(again, "p", FilePath, _time);

        Assert.Equal(days, ReadFile()["h"]!["duration"]!.ToJsonString());
        BudgetState imported = (await again.GetBudgetAsync("p", "user:h"))!;
        Assert.Equal(new BudgetDefinition(1m, period, BudgetWindowAlignment.Rolling), imported.Definition); // LiteLLM's windows count from its last reset
        Assert.Equal((budget.WindowStart, budget.WindowEnd), (imported.WindowStart, imported.WindowEnd));
        Assert.Equal(0.25m, imported.Spent);
    }

    private InMemoryBudgetStore Store() => new(new BudgetStoreOptions(), _time);

    private JsonObject ReadFile() => JsonNode.Parse(File.ReadAllText(FilePath))!.AsObject();
}

/// <summary>An <see cref="IProgress{T}"/> that runs its callback on the reporting thread (Progress{T} posts it elsewhere).</summary>
internal sealed class SynchronousProgress(Action<LiteLlmImportProgress> report) : IProgress<LiteLlmImportProgress>
{
    public void Report(LiteLlmImportProgress value) => report(value);
}
