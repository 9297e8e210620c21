using BudgetChat.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests;

public sealed class InMemoryBudgetStoreTests : BudgetStoreConformanceTests
{
    protected override IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options) =>
        new InMemoryBudgetStore(options, time);

    [Fact]
    public async Task UpdateProject_StoresEverythingItChanged_OrNothingWhenItThrows()
    {
        var time = new FakeTimeProvider(Epoch);
        var store = new InMemoryBudgetStore(new BudgetStoreOptions(), time);
        await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(10m));
        await store.ChargeAsync("acme", ["user:1"], 1m, "m", "c1");
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 2m, "r1", Epoch.AddMinutes(5))).IsReserved);

        // Several changes, then a throw: none of them is kept, and the reservation made before still holds.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.UpdateProjectAsync("acme", 0, static (ledger, _, now) =>
        {
            ledger.Set("user:2", new BudgetDefinition(5m), null, now);
            ledger.Charge(["user:1"], new BudgetUsage(3m, 0, "m"), "c2", now);
            ledger.Reset("user:1", now);
            Assert.True(ledger.Delete("user:1", now));
            return ledger.List(now).Count > 0 ? throw new InvalidOperationException("half way") : 0;
        }));
        BudgetState user1 = Assert.Single(await store.ListBudgetsAsync("acme"));
        Assert.Equal(("user:1", 1m, 2m), (user1.Key, user1.Spent, user1.Reserved));
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync("acme", "r1", 0.5m, "m")).Status);

        // The same changes without the throw are all kept, and the update's result comes back.
        int count = await store.UpdateProjectAsync("acme", "user:2", static (ledger, key, now) =>
        {
            ledger.Set(key, new BudgetDefinition(5m), null, now);
            ledger.Charge(["user:1", key], new BudgetUsage(3m, 0, "m"), "c2", now);
            return ledger.List(now).Count;
        });
        Assert.Equal(2, count);
        Assert.Equal([("user:1", 4.5m), ("user:2", 3m)], (await store.ListBudgetsAsync("acme")).Select(b => (b.Key, b.Spent)));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.UpdateProjectAsync<int, int>("acme", 0, null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpdateProjectAsync(" ", 0, static (_, s, _) => s));
    }

    [Fact]
    public async Task SetBudget_WithoutCreatedAt_KeepsARollingLimitsWindowAndCount_BesideACalendarMainLimit()
    {
        var time = new FakeTimeProvider(Epoch.AddSeconds(10));
        var store = new InMemoryBudgetStore(new BudgetStoreOptions(), time);
        var definition = new BudgetDefinition([BudgetLimit.Dollars(5m, BudgetPeriod.Daily), BudgetLimit.Requests(3, BudgetPeriod.Hourly, BudgetWindowAlignment.Rolling)]);
        await store.SetBudgetAsync("acme", "user:1", definition);
        await store.ChargeAsync("acme", ["user:1"], 0.1m, "m", "c1");
        await store.ChargeAsync("acme", ["user:1"], 0.1m, "m", "c2");
        time.Advance(TimeSpan.FromMinutes(20));

        // Only the enforcement changes: the hour counted from 12:00:10 goes on with its two requests.
        BudgetState state = await store.SetBudgetAsync("acme", "user:1", definition.WithEnforcement(BudgetEnforcement.Observe));

        Assert.Equal((Epoch.AddSeconds(10), Epoch.AddSeconds(10).AddHours(1), 2m), (state.Windows[1].Start, state.Windows[1].End, state.Windows[1].Spent));
        Assert.Equal((Epoch.Date, 0.2m), (state.WindowStart.UtcDateTime, state.Spent));
    }

    // Ids of the middleware's shape (client, then a counter): a completed one is refused again, whichever order the
    // calls of several clients reach the store in.
    [Fact]
    public async Task CompletedIds_OfTheMiddlewaresShape_AreRefusedAgain_InAnyOrder()
    {
        var time = new FakeTimeProvider(Epoch);
        var store = new InMemoryBudgetStore(new BudgetStoreOptions(), time);
        await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(100m));
        string[] ids = [Id(1, 5), Id(1, 3), Id(2, 1), Id(1, 4), Id(1, 9)];
        foreach (string id in ids)
        {
            Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, id, Epoch.AddMinutes(5))).IsReserved);
        }

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync("acme", ids[0], 0.10m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ReleaseAsync("acme", ids[1])).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", Id(1, 7))).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", Id(3, 1))).Status);

        foreach (string used in new[] { ids[0], ids[1], Id(1, 7), Id(3, 1) })
        {
            Assert.Equal(BudgetReservationStatus.Conflict, (await store.ReserveAsync("acme", ["user:1"], 0.20m, used, Epoch.AddMinutes(5))).Status);
        }

        // The charges repeat as retries; the reservations' ids conflict with a charge.
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", Id(1, 7))).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", Id(3, 1))).Status);
        Assert.Equal(BudgetConflict.Settled, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", ids[0])).Conflict);
        Assert.Equal(BudgetConflict.Released, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", ids[1])).Conflict);

        // Ids never used reserve, below or above what was seen, and so does another string of a used id's numbers; the
        // three still active were held all along.
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, Id(1, 6), Epoch.AddMinutes(5))).IsReserved);
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, Id(1, 10), Epoch.AddMinutes(5))).IsReserved);
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, Id(0xabc, 7).ToUpperInvariant(), Epoch.AddMinutes(5))).IsReserved);
        BudgetState? state = await store.GetBudgetAsync("acme", "user:1");
        Assert.Equal(6 * 0.20m, state!.Reserved);
        Assert.Equal(0.30m, state.Spent);
    }

    [Fact]
    public void Constructor_RejectsOptionsWithoutTimeZone()
    {
        var options = new BudgetStoreOptions { TimeZone = null! };

        ArgumentException ex = Assert.Throws<ArgumentException>(() => new InMemoryBudgetStore(options));

        Assert.Equal(nameof(BudgetStoreOptions.TimeZone), ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_RejectsRetentionThatIsNotPositive(int seconds)
    {
        var options = new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromSeconds(seconds) };

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryBudgetStore(options));

        Assert.Equal(nameof(BudgetStoreOptions.CompletedIdRetention), ex.ParamName);
    }

    [Fact]
    public async Task Constructor_WithoutOptions_AlignsWindowsToUtc()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 23, 30, 0, TimeSpan.Zero));
        var store = new InMemoryBudgetStore(null, time);

        BudgetState state = await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));

        Assert.Equal(new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero), state.WindowStart);
        Assert.Equal(new DateTimeOffset(2026, 3, 11, 0, 0, 0, TimeSpan.Zero), state.WindowEnd);
    }

    [Fact]
    public async Task Constructor_WithoutTimeProvider_UsesTheSystemClock_ToWithinMilliseconds()
    {
        var store = new InMemoryBudgetStore();
        TimeSpan tolerance = TimeSpan.FromMilliseconds(100);

        DateTimeOffset before = DateTimeOffset.UtcNow;
        BudgetState created = await store.SetBudgetAsync("p", "k", new BudgetDefinition(10m, BudgetPeriod.Daily));
        await store.ChargeAsync("p", ["k"], 1m, "gpt-4o", "c1");
        BudgetState charged = (await store.GetBudgetAsync("p", "k"))!;
        DateTimeOffset after = DateTimeOffset.UtcNow;

        Assert.InRange(created.CreatedAt, before - tolerance, after + tolerance);
        Assert.InRange(charged.UpdatedAt, before - tolerance, after + tolerance);
    }

    private static string Id(ulong client, ulong call) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{client:x16}-{call:x16}");
}
