using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests;

public sealed class InMemoryBudgetStoreTests : BudgetStoreConformanceTests
{
    protected override IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options) =>
        new InMemoryBudgetStore(options, time);

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
    public async Task Constructor_WithoutTimeProvider_UsesTheSystemClock()
    {
        var store = new InMemoryBudgetStore();
        DateTimeOffset before = DateTimeOffset.UtcNow;

        BudgetState state = await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m));

        DateTimeOffset after = DateTimeOffset.UtcNow;
        Assert.InRange(state.CreatedAt, before, after);
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
