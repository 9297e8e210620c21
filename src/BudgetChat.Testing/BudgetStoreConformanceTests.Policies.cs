using BudgetChat.Stores;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Testing;

/// <summary>Budget policies: several limits per budget, per-model caps, token and request limits, observe mode, forecasts.</summary>
public abstract partial class BudgetStoreConformanceTests
{
    // $50 a month and $5 a day, calendar windows in UTC.
    private static readonly BudgetDefinition DailyAndMonthly = new([BudgetLimit.Dollars(50m, BudgetPeriod.Monthly), BudgetLimit.Dollars(5m, BudgetPeriod.Daily)]);

    protected static ValueTask<BudgetReservationResult> Reserve(IBudgetStore store, FakeTimeProvider time, string reservationId, BudgetUsage usage, params string[] keys) =>
        store.ReserveAsync(Project, keys, usage, reservationId, time.GetUtcNow().AddHours(1));

    // ---------------------------------------------------------------- several windows

    [Fact]
    public async Task Windows_64ParallelCalls_AdmitExactlyWhatFitsTheTighterWindow()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", DailyAndMonthly);
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1000m));

        BudgetReservationResult[] results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Task.Run(async () => await Reserve(store, time, $"r{i}", 0.5m, "user:1", "global"))));

        // The daily $5 is the tighter: ten calls of $0.50, whatever the order, and every refusal names it.
        Assert.Equal(10, results.Count(r => r.IsReserved));
        Assert.All(results.Where(r => !r.IsReserved), r =>
        {
            Assert.Equal("user:1", r.Key);
            Assert.Equal("daily", r.Window!.Name);
            Assert.Equal(Epoch.Date.AddDays(1).AsUtcInstant(), r.Window.End);
        });

        BudgetState user = await GetExisting(store, "user:1");
        Assert.Equal(5m, user.Windows[1].Reserved);
        Assert.Equal(5m, user.Reserved);
        Assert.Equal(5m, (await GetExisting(store, "global")).Reserved);
    }

    [Fact]
    public async Task Windows_EachRollsOverOnItsOwn()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", DailyAndMonthly);
        await store.ChargeAsync(Project, ["user:1"], 4.5m, null, "c1");
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r1", 1m, "user:1")).Status);

        time.Advance(TimeSpan.FromDays(1));
        BudgetState next = await GetExisting(store, "user:1");
        Assert.Equal(4.5m, next.Spent);
        Assert.Equal(0m, next.Windows[1].Spent);
        Assert.Equal(Epoch.Date.AddDays(1).AsUtcInstant(), next.Windows[1].Start);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), next.Windows[0].Start);
        Assert.True((await Reserve(store, time, "r2", 1m, "user:1")).IsReserved);
    }

    [Fact]
    public async Task Windows_TheRefusalNamedIsTheWindowThatLastsLongest()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(5m, BudgetPeriod.Monthly), BudgetLimit.Dollars(5m, BudgetPeriod.Daily)]));
        await store.ChargeAsync(Project, ["user:1"], 5m, null, "c1");

        // Both are full; the call could fit again only when the month ends.
        BudgetReservationResult refused = await Reserve(store, time, "r1", 1m, "user:1");
        Assert.Equal("monthly", refused.Window!.Name);
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), refused.Window.End);
        Assert.Same(refused.Budget!.Windows[0].Limit, refused.Window.Limit);
    }

    [Fact]
    public async Task Windows_ARefusalHoldsNothingOnAnyWindowOfAnyKey()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", DailyAndMonthly.WithLimit(BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely)));
        await store.SetBudgetAsync(Project, "team:a", new BudgetDefinition([BudgetLimit.Dollars(100m), BudgetLimit.Requests(10, BudgetPeriod.Daily)]));

        // Fits every window of user:1 but not the team's dollars.
        BudgetReservationResult refused = await Reserve(store, time, "r1", new BudgetUsage(200m, 500), "user:1", "team:a");
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, refused.Status);

        BudgetState user = await GetExisting(store, "user:1");
        Assert.All(user.Windows, w => Assert.Equal(0m, w.Reserved + w.Spent));
        BudgetState team = await GetExisting(store, "team:a");
        Assert.All(team.Windows, w => Assert.Equal(0m, w.Reserved + w.Spent));
    }

    [Fact]
    public async Task Windows_ChangingOnlyAnAmountKeepsTheWindowsSpend_ANewLimitStartsFromZero()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", DailyAndMonthly);
        await store.ChargeAsync(Project, ["user:1"], 3m, null, "c1");
        Assert.True((await Reserve(store, time, "r1", new BudgetUsage(1m, 300), "user:1")).IsReserved);

        BudgetState changed = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(
            [BudgetLimit.Dollars(60m, BudgetPeriod.Monthly), BudgetLimit.Dollars(8m, BudgetPeriod.Daily), BudgetLimit.Tokens(1_000, BudgetPeriod.Hourly)]));

        Assert.Equal(3m, changed.Windows[1].Spent);
        Assert.Equal(1m, changed.Windows[1].Reserved);
        Assert.Equal(0m, changed.Windows[2].Spent);
        Assert.Equal(300m, changed.Windows[2].Reserved); // the call in flight holds on the new limit too
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r2", new BudgetUsage(1m, 701), "user:1")).Status);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ReleaseAsync(Project, "r1")).Status);
        BudgetState released = await GetExisting(store, "user:1");
        Assert.All(released.Windows, w => Assert.Equal(0m, w.Reserved));
    }

    [Fact]
    public async Task Windows_AResetClearsEveryWindow()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", DailyAndMonthly.WithLimit(BudgetLimit.Requests(5, BudgetPeriod.Hourly)));
        await store.ChargeAsync(Project, ["user:1"], 4m, null, "c1");

        BudgetState reset = (await store.ResetBudgetAsync(Project, "user:1"))!;
        Assert.All(reset.Windows, w => Assert.Equal(0m, w.Spent));
        Assert.True((await Reserve(store, time, "r1", 5m, "user:1")).IsReserved);
    }

    // ---------------------------------------------------------------- per-model caps

    [Fact]
    public async Task ModelCap_RefusesOnlyTheModelsItNames_AfterTheCatalogsIdResolution()
    {
        var (store, time) = NewStore();
        BudgetLimit premium = BudgetLimit.Dollars(1m, BudgetPeriod.Daily).ForModels(["gpt-4o", "claude-opus-*"], "premium");
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(10m), premium]));

        Assert.True((await Reserve(store, time, "r1", new BudgetUsage(0.8m, 0, "gpt-4o"), "user:1")).IsReserved);

        // A provider prefix and a date suffix resolve to gpt-4o; a prefix pattern catches every Opus.
        BudgetReservationResult dated = await Reserve(store, time, "r2", new BudgetUsage(0.8m, 0, "openai/gpt-4o-2024-08-06"), "user:1");
        Assert.Equal("premium", dated.Window!.Name);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r3", new BudgetUsage(0.3m, 0, "claude-opus-4-1"), "user:1")).Status);

        // Other models only meet the overall limit, and a call whose model is not known meets no cap.
        Assert.True((await Reserve(store, time, "r4", new BudgetUsage(5m, 0, "gpt-4o-mini"), "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r5", new BudgetUsage(1m, 0, "gpt-4o-mini-2024-07-18"), "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r6", 1m, "user:1")).IsReserved);

        BudgetState user = await GetExisting(store, "user:1");
        Assert.Equal(0.8m, user.Windows[1].Reserved);
        Assert.Equal(7.8m, user.Reserved);
    }

    [Fact]
    public async Task ModelCap_CountsTheModelThatAnswered_AndReleasesWhatTheAskedModelHeld()
    {
        var (store, time) = NewStore();
        BudgetLimit cap = BudgetLimit.Dollars(1m).ForModels(["gpt-4o"]);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(10m), cap]));

        Assert.True((await Reserve(store, time, "r1", new BudgetUsage(0.9m, 0, "gpt-4o"), "user:1")).IsReserved);
        await store.SettleAsync(Project, "r1", new BudgetUsage(0.4m, 0, "gpt-4o-2024-08-06"));
        Assert.True((await Reserve(store, time, "r2", new BudgetUsage(0.5m, 0, "gpt-4o"), "user:1")).IsReserved);
        await store.SettleAsync(Project, "r2", new BudgetUsage(0.5m, 0, "gpt-4o-mini"));

        BudgetState user = await GetExisting(store, "user:1");
        Assert.Equal(0.4m, user.Windows[1].Spent);
        Assert.Equal(0m, user.Windows[1].Reserved);
        Assert.Equal(0.9m, user.Spent);
        Assert.Equal(0.4m, user.SpendByModel["gpt-4o-2024-08-06"]);
    }

    // ---------------------------------------------------------------- tokens and requests

    [Fact]
    public async Task TokenLimit_HoldsTheWorstCase_SettlesToTheReportedCount_AndResetsEachMinute()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(100m), BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely)]));

        Assert.True((await Reserve(store, time, "r1", new BudgetUsage(0.01m, 600), "user:1")).IsReserved);
        BudgetReservationResult refused = await Reserve(store, time, "r2", new BudgetUsage(0.01m, 600), "user:1");
        Assert.Equal("per-minute tokens", refused.Window!.Name);
        Assert.Equal(BudgetUnit.Tokens, refused.Window.Unit);
        Assert.Equal(400m, refused.Window.Remaining);
        Assert.Equal(Epoch.AddMinutes(1), refused.Window.End);

        await store.SettleAsync(Project, "r1", new BudgetUsage(0.002m, 200));
        Assert.True((await Reserve(store, time, "r3", new BudgetUsage(0.01m, 800), "user:1")).IsReserved);
        await store.SettleAsync(Project, "r3", new BudgetUsage(0.01m, 800));
        Assert.Equal(1_000m, (await GetExisting(store, "user:1")).Windows[1].Spent);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await Reserve(store, time, "r4", new BudgetUsage(0.01m, 1_000), "user:1")).IsReserved);
    }

    [Fact]
    public async Task RequestLimit_CountsEachAdmission_ReleasedOrNot_AndEachCharge()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(100m), BudgetLimit.Requests(3, BudgetPeriod.Minutely)]));

        Assert.True((await Reserve(store, time, "r1", 0.01m, "user:1")).IsReserved);
        await store.ReleaseAsync(Project, "r1");
        Assert.True((await Reserve(store, time, "r1-retry-is-not-new", 0.01m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r1-retry-is-not-new", 0.01m, "user:1")).IsReserved); // a retry counts once
        await store.ChargeAsync(Project, ["user:1"], 0.01m, null, "c1");

        BudgetReservationResult refused = await Reserve(store, time, "r2", 0m, "user:1");
        Assert.Equal("per-minute requests", refused.Window!.Name);
        Assert.Equal(3m, refused.Window.Spent);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await Reserve(store, time, "r3", 0.01m, "user:1")).IsReserved);
    }

    // ---------------------------------------------------------------- observe

    [Fact]
    public async Task Observe_ABudgetThatObservesNeverRefuses_HoldsAsUsual_AndSaysWhichWindowWouldHave()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", DailyAndMonthly.WithEnforcement(BudgetEnforcement.Observe));

        BudgetReservationResult result = await Reserve(store, time, "r1", 7m, "user:1");

        Assert.True(result.IsReserved);
        Assert.True(result.WouldHaveRefused);
        Assert.Equal("user:1", result.Key);
        Assert.Equal("daily", result.Window!.Name);
        BudgetState user = await GetExisting(store, "user:1");
        Assert.Equal(7m, user.Reserved);
        Assert.Equal(7m, user.Windows[1].Reserved);

        await store.SettleAsync(Project, "r1", 6m, null);
        Assert.Equal(6m, (await GetExisting(store, "user:1")).Windows[1].Spent);
    }

    [Fact]
    public async Task Observe_AnObservingReservationOnEnforcingBudgets_GoesAhead_AndAnEnforcingKeyStillRefuses()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "team:a", new BudgetDefinition(1m).WithEnforcement(BudgetEnforcement.Observe));

        BudgetReservationResult observed = await Reserve(store, time, "r1", new BudgetUsage(2m) { Observe = true }, "user:1");
        Assert.True(observed.WouldHaveRefused);
        Assert.Equal(2m, (await GetExisting(store, "user:1")).Reserved);

        BudgetReservationResult fits = await Reserve(store, time, "r2", 0m, "team:a");
        Assert.True(fits.IsReserved);
        Assert.False(fits.WouldHaveRefused);

        // team:a only observes, user:1 enforces: the call is refused, by user:1, and nothing is held.
        BudgetReservationResult refused = await Reserve(store, time, "r3", 2m, "team:a", "user:1");
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, refused.Status);
        Assert.Equal("user:1", refused.Key);
        Assert.Equal(0m, (await GetExisting(store, "team:a")).Reserved);
    }

    [Fact]
    public async Task FreeModels_AreAdmittedByDollarLimits_EvenPastThem_ButNotByRequestLimits()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(1m), BudgetLimit.Requests(2, BudgetPeriod.Daily)]));
        await store.ChargeAsync(Project, ["user:1"], 1.5m, null, "c1");

        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r1", 0.01m, "user:1")).Status);
        Assert.True((await Reserve(store, time, "r2", new BudgetUsage(0m, 500, "llama3"), "user:1")).IsReserved);
        Assert.Equal("daily requests", (await Reserve(store, time, "r3", 0m, "user:1")).Window!.Name);
    }

    // ---------------------------------------------------------------- ids and forecasts

    [Fact]
    public async Task Ids_ARetryMustRepeatTheTokensAndModel()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Tokens(10_000, BudgetPeriod.Daily)]));

        Assert.True((await Reserve(store, time, "r1", new BudgetUsage(1m, 100, "gpt-4o"), "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r1", new BudgetUsage(1m, 100, "gpt-4o"), "user:1")).IsReserved);
        Assert.Equal(BudgetReservationStatus.Conflict, (await Reserve(store, time, "r1", new BudgetUsage(1m, 200, "gpt-4o"), "user:1")).Status);
        Assert.Equal(BudgetReservationStatus.Conflict, (await Reserve(store, time, "r1", new BudgetUsage(1m, 100, "o3"), "user:1")).Status);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", new BudgetUsage(0.5m, 80))).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "r1", new BudgetUsage(0.5m, 80))).Status);
        Assert.Equal(BudgetCompletionStatus.Conflict, (await store.SettleAsync(Project, "r1", new BudgetUsage(0.5m, 81))).Status);
        Assert.Equal(80m, (await GetExisting(store, "user:1")).Windows[1].Spent);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], new BudgetUsage(0.1m, 10), "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.Conflict, (await store.ChargeAsync(Project, ["user:1"], new BudgetUsage(0.1m, 11), "c1")).Status);
    }

    [Fact]
    public async Task Forecast_SaysWhenEachWindowRunsOutAtItsRate_OrThatItWillNotBeforeItResets()
    {
        // 12:00 UTC: half a day of the daily window has passed.
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition([BudgetLimit.Dollars(100m, BudgetPeriod.Monthly), BudgetLimit.Dollars(4m, BudgetPeriod.Daily)]));
        Assert.Null((await GetExisting(store, "user:1")).RunsOutAt);

        await store.ChargeAsync(Project, ["user:1"], 3m, null, "c1");
        BudgetState user = await GetExisting(store, "user:1");

        // Daily: $3 in 12 hours is $0.25 an hour, so the last $1 lasts 4 hours. Monthly: $3 in 9.5 days will not reach $100.
        Assert.Equal(Epoch.AddHours(4), user.Windows[1].RunsOutAt);
        Assert.Null(user.Windows[0].RunsOutAt);
        Assert.Null(user.RunsOutAt);

        await store.ChargeAsync(Project, ["user:1"], 1m, null, "c2");
        Assert.Equal(Epoch, (await GetExisting(store, "user:1")).Windows[1].RunsOutAt);
    }
}
