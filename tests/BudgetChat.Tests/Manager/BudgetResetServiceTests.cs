using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BudgetChat.Tests.Manager;

public sealed class BudgetResetServiceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 23, 30, 0, TimeSpan.Zero));
    private readonly IBudgetStore _store = Substitute.For<IBudgetStore>();

    [Fact]
    public async Task SweepsTheStore_OnceEveryInterval()
    {
        using BudgetResetService service = Create(new BudgetResetServiceOptions { Interval = TimeSpan.FromMinutes(30) });
        await service.StartAsync(CancellationToken.None);

        await _store.DidNotReceiveWithAnyArgs().SweepAsync(default);
        await FirstTickAsync(TimeSpan.FromMinutes(30), () => Sweeps >= 1);
        Assert.Equal(1, Sweeps);
        _time.Advance(TimeSpan.FromMinutes(30));
        await SweptAsync(2);
        _time.Advance(TimeSpan.FromMinutes(29));
        await Task.Delay(50);
        Assert.Equal(2, Sweeps);
        _time.Advance(TimeSpan.FromMinutes(1));
        await SweptAsync(3);

        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KeepsSweeping_AfterASweepFails()
    {
        int sweeps = 0;
#pragma warning disable CA2012 // NSubstitute configures a call by making it.
        _store.SweepAsync(default).ReturnsForAnyArgs(_ => ++sweeps == 1 ? throw new IOException("disk full") : ValueTask.FromResult(3));
#pragma warning restore CA2012
        using BudgetResetService service = Create(new BudgetResetServiceOptions { Interval = TimeSpan.FromHours(1) });
        await service.StartAsync(CancellationToken.None);

        await FirstTickAsync(TimeSpan.FromHours(1), () => Volatile.Read(ref sweeps) >= 1);
        _time.Advance(TimeSpan.FromHours(1));
        await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref sweeps) == 2));
        Assert.False(service.ExecuteTask!.IsCompleted);

        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task DoesNothing_WhenDisabled()
    {
        using BudgetResetService service = Create(new BudgetResetServiceOptions { Enabled = false, Interval = TimeSpan.FromMinutes(1) });
        await service.StartAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromHours(5));
        await Task.Delay(50);

        await _store.DidNotReceiveWithAnyArgs().SweepAsync(default);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task DeletesSpendRecordsOlderThanTheRetention_AfterEachSweep()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        await store.SetBudgetAsync("p", "k", new BudgetDefinition(100m));
        await store.ChargeAsync("p", ["k"], 1m, "old");
        _time.Advance(TimeSpan.FromDays(3));
        await store.ChargeAsync("p", ["k"], 2m, "new");
        using var service = new BudgetResetService(store, Options.Create(new BudgetResetServiceOptions { Interval = TimeSpan.FromHours(1), SpendRetention = TimeSpan.FromDays(2) }), _time);
        await service.StartAsync(CancellationToken.None);

        await FirstTickAsync(TimeSpan.FromHours(1), () => Ids(store).SequenceEqual(["new"]));

        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KeepsSpendRecords_WhenRetentionIsNull()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        await store.SetBudgetAsync("p", "k", new BudgetDefinition(100m));
        await store.ChargeAsync("p", ["k"], 1m, "old");
        using var service = new BudgetResetService(store, Options.Create(new BudgetResetServiceOptions { Interval = TimeSpan.FromDays(200), SpendRetention = null }), _time);
        await service.StartAsync(CancellationToken.None);

        // A sweep a year on rolls nothing over (the budget has no period) and deletes nothing.
        _time.Advance(TimeSpan.FromDays(200));
        await Task.Delay(100);
        _time.Advance(TimeSpan.FromDays(200));
        await Task.Delay(100);
        Assert.Equal(["old"], Ids(store).AsEnumerable());

        await service.StopAsync(CancellationToken.None);
    }

    private static string?[] Ids(InMemoryBudgetStore store) =>
        [.. store.QuerySpendAsync("p", new BudgetSpendQuery()).AsTask().Result.Records.Select(r => r.Id)];

    [Fact]
    public void RejectsANonPositiveInterval()
    {
        Assert.ThrowsAny<ArgumentException>(() => Create(new BudgetResetServiceOptions { Interval = TimeSpan.Zero }));
    }

    private BudgetResetService Create(BudgetResetServiceOptions options) =>
        new(_store, Options.Create(options), _time, NullLogger<BudgetResetService>.Instance);

    private int Sweeps => _store.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IBudgetStore.SweepAsync));

    private Task SweptAsync(int times) => WaitUntilAsync(() => Task.FromResult(Sweeps == times));

    // The service starts its timer on its own task; advance one interval at a time until the first tick is seen.
    private async Task FirstTickAsync(TimeSpan interval, Func<bool> ticked)
    {
        for (int i = 0; i < 200 && !ticked(); i++)
        {
            _time.Advance(interval);
            for (int j = 0; j < 10 && !ticked(); j++)
            {
                await Task.Delay(5);
            }
        }

        Assert.True(ticked());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // The service runs on its own task; give it time to react to the fake clock.
        for (int i = 0; i < 500 && !await condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(await condition());
    }
}
