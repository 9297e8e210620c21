using BudgetChat.Stores;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests.Stores;

/// <summary>What is <see cref="InMemoryBudgetStore"/>'s own in its spend ledger: a bounded ring, and updates that roll back.</summary>
public sealed class InMemorySpendLogTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task KeepsTheNewestRecords_UpToItsCapacity_WithSequencesThatGoOn()
    {
        var store = new InMemoryBudgetStore(new BudgetStoreOptions { SpendRecordCapacity = 100 }, _time);
        await store.SetBudgetAsync("p", "k", new BudgetDefinition(1_000m));
        for (int i = 0; i < 250; i++)
        {
            await store.ChargeAsync("p", ["k"], 1m, $"c{i}");
        }

        BudgetSpendPage page = await store.QuerySpendAsync("p", new BudgetSpendQuery { Limit = 1_000, OldestFirst = true });

        Assert.Equal(100, page.Records.Count);
        Assert.Equal("c150", page.Records[0].Id);
        Assert.Equal("c249", page.Records[^1].Id);
        Assert.Equal(151, page.Records[0].Sequence);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task AFailedUpdate_LeavesNoRecordOfWhatItDid()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        await store.SetBudgetAsync("p", "k", new BudgetDefinition(1_000m));
        await store.ChargeAsync("p", ["k"], 1m, "before");

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.UpdateProjectAsync<int, int>("p", 0, static (ledger, _, now) =>
        {
            ledger.Charge(["k"], 5m, "inside", now);
            ledger.Reset("k", now);
            throw new InvalidOperationException("abort");
        }));
        await store.ChargeAsync("p", ["k"], 2m, "after");

        BudgetSpendPage page = await store.QuerySpendAsync("p", new BudgetSpendQuery { OldestFirst = true });
        Assert.Equal(["before", "after"], page.Records.Select(r => r.Id));
        Assert.Equal(3m, (await store.GetBudgetAsync("p", "k"))!.Spent);
        Assert.True((await BudgetSpendVerifier.VerifyAsync(store, store, "p", "k"))!.IsBalanced);
    }

    [Fact]
    public async Task PagesNewestFirst_WithoutGapsOrRepeats()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        await store.SetBudgetAsync("p", "k", new BudgetDefinition(1_000m));
        for (int i = 0; i < 25; i++)
        {
            await store.ChargeAsync("p", ["k"], 1m, $"c{i}");
        }

        var seen = new List<string?>();
        var query = new BudgetSpendQuery { Limit = 10 };
        for (long? next = null, pages = 0; pages == 0 || next is not null; pages++)
        {
            BudgetSpendPage page = await store.QuerySpendAsync("p", query with { Before = next });
            seen.AddRange(page.Records.Select(r => r.Id));
            next = page.Next;
        }

        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"c{i}"), seen);
    }

    [Fact]
    public async Task ASettleRetriedAfterACrashOfTheCaller_IsRecordedOnce()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        await store.SetBudgetAsync("p", "k", new BudgetDefinition(10m));
        await store.ReserveAsync("p", ["k"], 1m, "r", _time.GetUtcNow().AddMinutes(1));
        var usage = new BudgetUsage(0.5m, 10, "m") { Record = new BudgetSpendRecord { User = "alice" } };

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync("p", "r", usage)).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync("p", "r", usage)).Status);

        BudgetSpendRecord record = Assert.Single((await store.QuerySpendAsync("p", new BudgetSpendQuery())).Records);
        Assert.Equal("alice", record.User);
        Assert.Equal(1m, record.Held);
        Assert.Equal(0.5m, record.Cost);
    }

    [Fact]
    public async Task Appends_OnlyRefusedAndReleasedRecords()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);

        ArgumentException charged = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.AppendSpendAsync("p", new BudgetSpendRecord { Keys = ["k"], Outcome = BudgetSpendOutcome.Charged }));
        Assert.Equal("record", charged.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.AppendSpendAsync("p", new BudgetSpendRecord { Keys = [], Outcome = BudgetSpendOutcome.Refused }));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.AppendSpendAsync("p", new BudgetSpendRecord { Keys = ["k"], Outcome = BudgetSpendOutcome.Released, Cost = 1m }));

        await store.AppendSpendAsync("p", new BudgetSpendRecord { Keys = ["k"], Outcome = BudgetSpendOutcome.Refused, RefusedKey = "k" });
        BudgetSpendRecord record = Assert.Single((await store.QuerySpendAsync("p", new BudgetSpendQuery())).Records);
        Assert.Equal(_time.GetUtcNow(), record.Time);
        Assert.Equal(1, record.Sequence);
    }

    [Fact]
    public void Names_RoundTrip()
    {
        foreach (BudgetSpendOutcome outcome in Enum.GetValues<BudgetSpendOutcome>())
        {
            Assert.True(BudgetSpendNames.TryParseOutcome(BudgetSpendNames.ToName(outcome), out BudgetSpendOutcome read));
            Assert.Equal(outcome, read);
        }

        foreach (BudgetSpendGrouping grouping in Enum.GetValues<BudgetSpendGrouping>())
        {
            Assert.True(BudgetSpendNames.TryParseGrouping(BudgetSpendNames.ToName(grouping), out BudgetSpendGrouping read));
            Assert.Equal(grouping, read);
        }

        BudgetSpendMarks all = BudgetSpendMarks.Reduced | BudgetSpendMarks.Downgraded | BudgetSpendMarks.WouldRefuse;
        Assert.Equal("reduced,downgraded,would_refuse", BudgetSpendNames.ToNames(all));
        Assert.Equal(all, BudgetSpendNames.ParseMarks("reduced, downgraded,would_refuse"));
        Assert.Throws<FormatException>(() => BudgetSpendNames.ParseMarks("reduced,bogus"));
        Assert.True(BudgetSpendNames.TryApplyOutcomeFilter(new BudgetSpendQuery(), "would_refuse", out BudgetSpendQuery q));
        Assert.Equal(BudgetSpendMarks.WouldRefuse, q.Marks);
        Assert.False(BudgetSpendNames.TryApplyOutcomeFilter(new BudgetSpendQuery(), "nope", out _));
    }

    [Fact]
    public void AQuery_NamesItsBadValue()
    {
        Assert.Equal("Limit", Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetSpendQuery { Limit = 0 }.Validate()).ParamName);
        Assert.Equal("To", Assert.Throws<ArgumentException>(() => new BudgetSpendQuery { From = _time.GetUtcNow(), To = _time.GetUtcNow().AddDays(-1) }.Validate()).ParamName);
        Assert.Equal("After", Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetSpendQuery { After = -1 }.Validate()).ParamName);
    }
}
