using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests;

public sealed class InMemoryBudgetStoreTests : BudgetStoreConformanceTests
{
    protected override IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options) =>
        new InMemoryBudgetStore(options, time);

    // At a high call rate the remembered ids must cost the garbage collector nothing: the store keeps a fingerprint,
    // not the id string (nor the reservation), once a reservation is settled, released or charged.
    [Theory]
    [InlineData("settle")]
    [InlineData("release")]
    [InlineData("charge")]
    public async Task CompletedIds_AreRememberedWithoutKeepingTheIdString(string completion)
    {
        var time = new FakeTimeProvider(Epoch);
        var store = new InMemoryBudgetStore(new BudgetStoreOptions(), time);
        await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m));

        WeakReference<string> id = await CompleteWithNewId(store, completion);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(id.TryGetTarget(out _), "The store still holds the completed id's string.");
        string sameId = new('r', 40);
        Assert.Equal(
            BudgetCompletionStatus.AlreadyCompleted,
            completion == "charge"
                ? (await store.ChargeAsync("acme", ["user:1"], 0.10m, null, sameId)).Status
                : (await store.SettleAsync("acme", sameId, 0.10m, null)).Status);
        Assert.Throws<ArgumentException>(() => store.ReserveAsync("acme", ["user:1"], 0.10m, sameId, Epoch.AddMinutes(5)).AsTask().GetAwaiter().GetResult());

        time.Advance(new BudgetStoreOptions().CompletedIdRetention);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync("acme", sameId, 0.10m, null)).Status);
    }

    // The ids BudgetingChatClient makes are told to be new from their count alone; a completed one is refused all the
    // same, whichever order the calls of several clients reach the store in.
    [Fact]
    public async Task CompletedIds_OfTheMiddlewaresShape_AreRefusedAgain_InAnyOrder()
    {
        var time = new FakeTimeProvider(Epoch);
        var store = new InMemoryBudgetStore(new BudgetStoreOptions(), time);
        await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(100m));
        string[] ids = [ReservationIds.Create(1, 5), ReservationIds.Create(1, 3), ReservationIds.Create(2, 1), ReservationIds.Create(1, 4), ReservationIds.Create(1, 9)];
        foreach (string id in ids)
        {
            Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, id, Epoch.AddMinutes(5))).IsReserved);
        }

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync("acme", ids[0], 0.10m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ReleaseAsync("acme", ids[1])).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", ReservationIds.Create(1, 7))).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", ReservationIds.Create(3, 1))).Status);

        foreach (string used in new[] { ids[0], ids[1], ReservationIds.Create(1, 7), ReservationIds.Create(3, 1) })
        {
            await Assert.ThrowsAsync<ArgumentException>(async () => await store.ReserveAsync("acme", ["user:1"], 0.20m, used, Epoch.AddMinutes(5)));
            Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", used)).Status);
        }

        // Ids never used reserve, below or above what was seen, and so does another string of a used id's numbers; the
        // three still active were held all along.
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, ReservationIds.Create(1, 6), Epoch.AddMinutes(5))).IsReserved);
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, ReservationIds.Create(1, 10), Epoch.AddMinutes(5))).IsReserved);
        Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, ReservationIds.Create(0xabc, 7).ToUpperInvariant(), Epoch.AddMinutes(5))).IsReserved);
        BudgetState? state = await store.GetBudgetAsync("acme", "user:1");
        Assert.Equal(6 * 0.20m, state!.Reserved);
        Assert.Equal(0.30m, state.Spent);
    }

    // Not inlined, so that no local of the test keeps the id alive across the collection.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference<string>> CompleteWithNewId(InMemoryBudgetStore store, string completion)
    {
        string id = new('r', 40);
        if (completion == "charge")
        {
            Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync("acme", ["user:1"], 0.10m, "m", id)).Status);
        }
        else
        {
            Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.20m, id, Epoch.AddMinutes(5))).IsReserved);
            BudgetCompletion done = completion == "settle" ? await store.SettleAsync("acme", id, 0.10m, "m") : await store.ReleaseAsync("acme", id);
            Assert.Equal(BudgetCompletionStatus.Completed, done.Status);
        }

        return new WeakReference<string>(id);
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

    [Fact]
    public async Task Reserve_WithTheIdOfAnEndedReservation_ThrowsNamingTheId()
    {
        var time = new FakeTimeProvider(Epoch);
        var store = new InMemoryBudgetStore(null, time);
        await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m));
        await store.ReserveAsync("acme", ["user:1"], 0.10m, "r1", Epoch.AddHours(1));
        await store.ReleaseAsync("acme", "r1");

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(
            () => store.ReserveAsync("acme", ["user:1"], 0.10m, "r1", Epoch.AddHours(1)).AsTask());

        Assert.Equal("reservationId", ex.ParamName);
        Assert.Equal(0m, (await store.GetBudgetAsync("acme", "user:1"))!.Reserved);
    }

    [Fact]
    public async Task Charge_WithTheIdOfAnOpenReservation_ThrowsNamingTheId()
    {
        var time = new FakeTimeProvider(Epoch);
        var store = new InMemoryBudgetStore(null, time);
        await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m));
        await store.ReserveAsync("acme", ["user:1"], 0.10m, "r1", Epoch.AddHours(1));

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(
            () => store.ChargeAsync("acme", ["user:1"], 0.10m, null, "r1").AsTask());

        Assert.Equal("chargeId", ex.ParamName);
        BudgetState state = (await store.GetBudgetAsync("acme", "user:1"))!;
        Assert.Equal(0m, state.Spent);
        Assert.Equal(0.10m, state.Reserved);
    }
}
