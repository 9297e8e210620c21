using BudgetChat.Stores;

namespace BudgetChat.Testing;

// IBudgetStore.ListBudgetsAsync(project, BudgetListQuery): a page of budgets, searched and ordered, with totals over all.
public abstract partial class BudgetStoreConformanceTests
{
    // Five budgets: user:b used up, user:a at 90%, team:x at half, user:c at 30% (a tenth spent, a fifth held), and global
    // without a limit to speak of; an hour after the charges, so that the forecasts have a rate.
    private async Task<IBudgetStore> NewStoreWithFiveBudgets()
    {
        var (store, time) = NewStore();
        foreach ((string key, decimal limit) in (ValueTuple<string, decimal>[])[("user:a", 10m), ("user:b", 10m), ("user:c", 10m), ("team:x", 100m), ("global", BudgetAmounts.Max)])
        {
            await store.SetBudgetAsync(Project, key, new BudgetDefinition(limit));
        }

        time.Advance(TimeSpan.FromHours(1));
        await store.ChargeAsync(Project, ["user:a", "global"], 9m, "m", "a");
        await store.ChargeAsync(Project, ["user:b", "global"], 10m, "m", "b");
        await store.ChargeAsync(Project, ["user:c", "global"], 1m, "m", "c");
        await store.ChargeAsync(Project, ["team:x"], 50m, "m", "x");
        time.Advance(TimeSpan.FromHours(1));
        Assert.True((await Reserve(store, time, "held", 2m, "user:c")).IsReserved);
        return store;
    }

    [Fact]
    public async Task ListBudgetsPage_AddsUpEveryBudget_AndHoldsThePageInTheOrderAsked()
    {
        IBudgetStore store = await NewStoreWithFiveBudgets();

        BudgetListPage byKey = await store.ListBudgetsAsync(Project, new BudgetListQuery { Offset = 1, Limit = 2 });
        Assert.Equal(["team:x", "user:a"], byKey.Budgets.Select(b => b.Key));
        Assert.Equal((5, 5), (byKey.Count, byKey.Matched));
        Assert.Equal((90m, 2m, 130m), (byKey.Spent, byKey.Reserved, byKey.Limit));
        Assert.Equal((1, 1), (byKey.Near, byKey.Exhausted));

        BudgetListPage byUse = await store.ListBudgetsAsync(Project, new BudgetListQuery { Order = BudgetListOrder.Used });
        Assert.Equal(["user:b", "user:a", "team:x", "user:c", "global"], byUse.Budgets.Select(b => b.Key));
        Assert.Equal([1m, 0.9m, 0.5m, 0.3m, 0m], byUse.Budgets.Select(b => b.Used));

        // user:b is used up (now), user:a runs out in a ninth of the time it took to spend 9, global never: last.
        BudgetListPage byRunOut = await store.ListBudgetsAsync(Project, new BudgetListQuery { Order = BudgetListOrder.RunsOut, Limit = 3 });
        Assert.Equal(["user:b", "user:a", "team:x"], byRunOut.Budgets.Select(b => b.Key));
        Assert.Equal(
            ["user:c", "global"],
            (await store.ListBudgetsAsync(Project, new BudgetListQuery { Order = BudgetListOrder.RunsOut, Offset = 3 })).Budgets.Select(b => b.Key));

        // The page's states are the budgets' states.
        BudgetState c = Assert.Single((await store.ListBudgetsAsync(Project, new BudgetListQuery { Search = "R:C" })).Budgets);
        BudgetState read = (await store.GetBudgetAsync(Project, "user:c"))!;
        Assert.Equal((read.Spent, read.Reserved, read.WindowStart), (c.Spent, c.Reserved, c.WindowStart));
    }

    [Fact]
    public async Task ListBudgetsPage_Search_MatchesKeysIgnoringCase_AndTheTotalsStayThoseOfTheProject()
    {
        IBudgetStore store = await NewStoreWithFiveBudgets();

        BudgetListPage users = await store.ListBudgetsAsync(Project, new BudgetListQuery { Search = "USER:", Limit = 2 });
        Assert.Equal(["user:a", "user:b"], users.Budgets.Select(b => b.Key));
        Assert.Equal((5, 3, 90m), (users.Count, users.Matched, users.Spent));

        BudgetListPage past = await store.ListBudgetsAsync(Project, new BudgetListQuery { Search = "user:", Offset = 3 });
        Assert.Empty(past.Budgets);
        Assert.Equal(3, past.Matched);

        BudgetListPage none = await store.ListBudgetsAsync(OtherProject, new BudgetListQuery());
        Assert.Empty(none.Budgets);
        Assert.Equal((0, 0, 0m), (none.Count, none.Matched, none.Spent));
    }

    [Theory]
    [InlineData(nameof(BudgetListQuery.Limit), 0, 0)]
    [InlineData(nameof(BudgetListQuery.Limit), 0, BudgetListQuery.MaxLimit + 1)]
    [InlineData(nameof(BudgetListQuery.Offset), -1, 10)]
    [InlineData(nameof(BudgetListQuery.Order), 0, 10, 7)]
    public async Task ListBudgetsPage_InvalidQuery_ThrowsNamingTheValue(string name, int offset, int limit, int order = 0)
    {
        var (store, _) = NewStore();

        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            store.ListBudgetsAsync(Project, new BudgetListQuery { Offset = offset, Limit = limit, Order = (BudgetListOrder)order }).AsTask());
        Assert.Equal(name, ex.ParamName);
        await Assert.ThrowsAsync<ArgumentNullException>("query", () => store.ListBudgetsAsync(Project, null!).AsTask());
    }
}
