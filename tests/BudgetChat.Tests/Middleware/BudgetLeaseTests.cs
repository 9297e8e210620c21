using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests.Middleware;

/// <summary>The reservation as a lease, used directly (as BudgetManager does), not through the middleware.</summary>
public sealed class BudgetLeaseTests
{
    private const string Project = "acme";
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryBudgetStore _store;

    public BudgetLeaseTests()
    {
        _store = new InMemoryBudgetStore(timeProvider: _time);
        _store.SetBudgetAsync(Project, "user:alice", new BudgetDefinition(1m, BudgetPeriod.Monthly)).AsTask().GetAwaiter().GetResult();
        _store.SetBudgetAsync(Project, "team:search", new BudgetDefinition(10m)).AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Acquired_HoldsTheAmountOnEveryKey_AndSettleChargesTheActualCostInstead()
    {
        await using BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice", "team:search"], 0.30m, Minute, _time);

        Assert.True(lease.IsAcquired);
        Assert.Equal(BudgetReservationStatus.Reserved, lease.Status);
        Assert.Null(lease.RefusingBudget);
        Assert.Equal(0.30m, (await Budget("user:alice")).Reserved);
        Assert.Equal(0.30m, (await Budget("team:search")).Reserved);

        BudgetCompletion completion = await lease.SettleAsync(0.12m, "gpt-4o");

        Assert.Equal(BudgetCompletionStatus.Completed, completion.Status);
        foreach (string key in new[] { "user:alice", "team:search" })
        {
            BudgetState budget = await Budget(key);
            Assert.Equal(0.12m, budget.Spent);
            Assert.Equal(0.12m, budget.SpendByModel["gpt-4o"]);
            Assert.Equal(0m, budget.Reserved);
        }
    }

    [Fact]
    public async Task Refused_SaysWhichBudgetRefusedAndWhy_AndHoldsNothingAnywhere()
    {
        await _store.SetBudgetAsync(Project, "team:search", new BudgetDefinition(0.05m));

        await using BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice", "team:search"], 0.30m, Minute, _time);

        Assert.False(lease.IsAcquired);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, lease.Status);
        Assert.Equal("team:search", lease.RefusingKey);
        Assert.Equal(0.05m, lease.RefusingBudget!.Limit);
        Assert.Equal(0.05m, lease.RefusingBudget.Remaining);
        Assert.Equal(0.30m, lease.Amount);
        Assert.Equal(0m, (await Budget("user:alice")).Reserved);
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.SettleAsync(0.01m).AsTask());
    }

    [Fact]
    public async Task Refused_CarriesTheWindowTheBudgetResetsAt()
    {
        await using BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 2m, Minute, _time);

        Assert.Equal("user:alice", lease.RefusingKey);
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), lease.RefusingBudget!.WindowEnd);
    }

    [Fact]
    public async Task Refused_WhenAKeyHasNoBudget_NamesTheKey()
    {
        await using BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice", "user:nobody"], 0.1m, Minute, _time);

        Assert.False(lease.IsAcquired);
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, lease.Status);
        Assert.Equal("user:nobody", lease.RefusingKey);
        Assert.Null(lease.RefusingBudget);
        Assert.Equal(0m, (await Budget("user:alice")).Reserved);
    }

    [Fact]
    public async Task Dispose_ReleasesALeaseThatWasNeitherSettledNorReleased()
    {
        BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.30m, Minute, _time);

        await lease.DisposeAsync();
        await lease.DisposeAsync();

        BudgetState budget = await Budget("user:alice");
        Assert.Equal(0m, budget.Reserved);
        Assert.Equal(0m, budget.Spent);
    }

    [Fact]
    public async Task Dispose_AfterSettle_ChangesNothing()
    {
        BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.30m, Minute, _time);

        await lease.SettleAsync(0.2m);
        await lease.DisposeAsync();

        Assert.Equal(0.2m, (await Budget("user:alice")).Spent);
    }

    [Fact]
    public async Task EndsOnce_ASecondSettleThrows_AndASecondReleaseReportsItAlreadyEnded()
    {
        await using BudgetLease settled = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.30m, Minute, _time);
        await using BudgetLease released = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.30m, Minute, _time);

        await settled.SettleAsync(0.2m);
        var twice = await Assert.ThrowsAsync<InvalidOperationException>(() => settled.SettleAsync(0.2m).AsTask());
        Assert.Equal(BudgetCompletionStatus.Completed, (await released.ReleaseAsync()).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await released.ReleaseAsync()).Status);
        await Assert.ThrowsAsync<InvalidOperationException>(() => released.SettleAsync(0.2m).AsTask());

        Assert.Contains(settled.Id, twice.Message, StringComparison.Ordinal);
        Assert.Equal(0.2m, (await Budget("user:alice")).Spent);
        Assert.NotEqual(settled.Id, released.Id);
    }

    [Fact]
    public async Task ASettleThatFails_MayBeTriedAgain_AndDisposeDoesNotReleaseMoneySpent()
    {
        var outage = new OutageStore(_store);
        BudgetLease lease = await BudgetLease.AcquireAsync(outage, Project, ["user:alice"], 0.30m, Minute, _time);
        outage.Down = true;

        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => lease.SettleAsync(0.2m).AsTask());
        outage.Down = false;
        await lease.DisposeAsync();
        Assert.Equal(0.30m, (await Budget("user:alice")).Reserved);

        await lease.SettleAsync(0.2m);
        BudgetState budget = await Budget("user:alice");
        Assert.Equal(0.2m, budget.Spent);
        Assert.Equal(0m, budget.Reserved);
    }

    [Fact]
    public async Task ExpiresAfterTheGivenTime_OnTheGivenClock()
    {
        await using BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.30m, TimeSpan.FromMinutes(5), _time);

        _time.Advance(TimeSpan.FromMinutes(4));
        await _store.SweepAsync();
        Assert.Equal(0.30m, (await Budget("user:alice")).Reserved);

        _time.Advance(TimeSpan.FromMinutes(2));
        await _store.SweepAsync();
        Assert.Equal(0m, (await Budget("user:alice")).Reserved);
    }

    [Fact]
    public async Task ParallelAcquires_AgainstABudgetForTen_AcquireExactlyTen()
    {
        await _store.SetBudgetAsync(Project, "user:alice", new BudgetDefinition(1m));

        BudgetLease[] leases = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(
            async () => await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.1m, Minute, _time))));

        Assert.Equal(10, leases.Count(l => l.IsAcquired));
        Assert.Equal(1m, (await Budget("user:alice")).Reserved);
        foreach (BudgetLease lease in leases)
        {
            await lease.DisposeAsync();
        }

        Assert.Equal(0m, (await Budget("user:alice")).Reserved);
    }

    [Fact]
    public async Task TheGivenId_IsTheReservationsId_InTheStore()
    {
        await using BudgetLease lease = await BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 0.30m, Minute, _time, "call-42");

        Assert.Equal("call-42", lease.Id);
        Assert.Equal(BudgetCompletionStatus.Completed, (await _store.SettleAsync(Project, "call-42", 0.1m, null)).Status);
        Assert.Equal(0.1m, (await Budget("user:alice")).Spent);
    }

    [Fact]
    public async Task RejectsInvalidArguments_NamingTheParameter()
    {
        Assert.Equal("store", (await Assert.ThrowsAsync<ArgumentNullException>(() => BudgetLease.AcquireAsync(null!, Project, ["user:alice"], 1m, Minute).AsTask())).ParamName);
        Assert.Equal("project", (await Assert.ThrowsAsync<ArgumentException>(() => BudgetLease.AcquireAsync(_store, " ", ["user:alice"], 1m, Minute).AsTask())).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BudgetLease.AcquireAsync(_store, Project, [], 1m, Minute).AsTask())).ParamName);
        Assert.Equal("amount", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BudgetLease.AcquireAsync(_store, Project, ["user:alice"], -1m, Minute).AsTask())).ParamName);
        Assert.Equal("reservationId", (await Assert.ThrowsAsync<ArgumentException>(() => BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 1m, Minute, reservationId: "").AsTask())).ParamName);
        Assert.Equal("expiresAfter", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BudgetLease.AcquireAsync(_store, Project, ["user:alice"], 1m, TimeSpan.Zero).AsTask())).ParamName);
        Assert.Equal(0m, (await Budget("user:alice")).Reserved);
    }

    private async Task<BudgetState> Budget(string key) => (await _store.GetBudgetAsync(Project, key))!;
}
