using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BudgetChat.Tests.Middleware;

/// <summary>
/// A cost the store could not record is never lost: the outbox keeps it and sends it again, with the same id, until the
/// store takes it (issue 14, point 1).
/// </summary>
public sealed class OutboxTests : BudgetingChatClientFixture, IAsyncDisposable
{
    private const string Project = BudgetingChatClientOptions.DefaultProjectName;

    private readonly OutageStore _outage;
    private readonly BudgetOutbox _outbox;
    private readonly FakeLogCollector _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    public OutboxTests()
    {
        _outage = new OutageStore(Store);
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Debug));
        _outbox = new BudgetOutbox(_outage, new BudgetOutboxOptions { RetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(4) }, loggerFactory: _loggerFactory, timeProvider: Time);
    }

    public static TheoryData<bool, bool> Shapes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    public async ValueTask DisposeAsync()
    {
        await _outbox.DisposeAsync();
        _loggerFactory.Dispose();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ASettleTheStoreCannotTake_IsChargedOnce_WhenTheStoreIsBack(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        await using var outbox = new BudgetOutbox(outage, timeProvider: Time);
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2), _ => outage.Down = true); // the store goes down while the model answers
        using var client = new BudgetingChatClient(Inner, outage, null, Prices, Estimator, timeProvider: Time, outbox: outbox);

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("Hi", response.Text);
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);
        BudgetOutboxEntry entry = Assert.Single(outbox.GetEntries());
        Assert.Equal(BudgetOutboxOperation.Settle, entry.Operation);
        Assert.Equal(Cost(10, 2), entry.Cost);

        outage.Down = false;
        Assert.Equal(0, await outbox.RetryAsync());
        Assert.Equal(0, await outbox.RetryAsync());

        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FailOpen_ACallMadeDuringTheOutage_IsChargedWhenTheStoreIsBack(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        await using var outbox = new BudgetOutbox(outage, timeProvider: Time);
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2));
        using var client = new BudgetingChatClient(
            Inner, outage, new BudgetingChatClientOptions { StoreFailureMode = BudgetStoreFailureMode.FailOpen }, Prices, Estimator, timeProvider: Time, outbox: outbox);
        outage.Down = true;

        Assert.Equal("Hi", (await CallAsync(client, streaming, ForUser("alice"))).Text);
        Assert.Equal(BudgetOutboxOperation.Charge, Assert.Single(outbox.GetEntries()).Operation);

        outage.Down = false;
        await outbox.RetryAsync();

        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        Assert.Equal(0, outbox.Count);
    }

    [Fact]
    public async Task RetriesInTheBackground_BackingOffWhileTheStoreStaysDown()
    {
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        _outage.Down = true;
        await _outbox.AddAsync(Settle("call-1", 0.5m));

        // Retries after 1 s, then 2 s, then 4 s (the maximum), while the store stays down.
        int calls = _outage.Calls;
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(calls + 1, await CallsSettleAsync(calls + 1));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(calls + 1, _outage.Calls);
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(calls + 2, await CallsSettleAsync(calls + 2));
        Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(calls + 2, _outage.Calls);
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(calls + 3, await CallsSettleAsync(calls + 3));

        // The store is back: the next retry (4 s later) records it, under the same id, and the outbox is empty.
        _outage.Down = false;
        Time.Advance(TimeSpan.FromSeconds(4));
        await WaitUntilAsync(() => _outbox.Count == 0);
        Assert.Equal(0.5m, (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public async Task ARetryWhoseFirstAttemptReachedTheStore_ChargesNothingMore()
    {
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        await Store.ReserveAsync(Project, [BudgetKeys.ForUser("alice")], 1m, "call-1", Time.GetUtcNow().AddMinutes(5));
        await Store.SettleAsync(Project, "call-1", 0.25m, Model); // the store took it; only its answer was lost

        await _outbox.AddAsync(Settle("call-1", 0.25m));
        await _outbox.RetryAsync();

        Assert.Equal(0.25m, (await UserBudgetAsync("alice")).Spent);
        Assert.Equal(0, _outbox.Count);
    }

    [Fact]
    public async Task ASettleTheStoreNoLongerKnows_IsChargedToTheReservationsKeys_UnderTheSameId()
    {
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));

        await _outbox.AddAsync(Settle("lost-reservation", 0.3m));
        await _outbox.RetryAsync();
        await _outbox.AddAsync(Settle("lost-reservation", 0.3m)); // sent again (say, after a restart): a repeat
        await _outbox.RetryAsync();

        Assert.Equal(0.3m, (await UserBudgetAsync("alice")).Spent);
        Assert.Contains(_logs.GetSnapshot(), r => r.Message.Contains("no longer knows reservation lost-reservation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEntryIsKeptOncePerId()
    {
        _outage.Down = true;

        Assert.True(await _outbox.AddAsync(Settle("call-1", 0.3m)));
        Assert.True(await _outbox.AddAsync(Settle("call-1", 0.3m)));

        Assert.Equal(1, _outbox.Count);
    }

    [Fact]
    public async Task AFullOutbox_RefusesTheEntry_LogsItAsLost_AndCountsIt()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using var dropped = new MetricCollector<long>(meters, BudgetChatTelemetry.MeterName, "budgetchat.outbox.dropped");
        await using var outbox = new BudgetOutbox(_outage, new BudgetOutboxOptions { MaxEntries = 1 }, loggerFactory: _loggerFactory, timeProvider: Time, meterFactory: meters);
        _outage.Down = true;

        Assert.True(await outbox.AddAsync(Settle("call-1", 0.3m)));
        Assert.False(await outbox.AddAsync(Settle("call-2", 0.4m)));

        Assert.Equal(["call-1"], outbox.GetEntries().Select(e => e.Id));
        Assert.Equal(1, Assert.Single(dropped.GetMeasurementSnapshot()).Value);
        FakeLogRecord lost = Assert.Single(_logs.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains("call-2", lost.Message, StringComparison.Ordinal);
        Assert.Contains("is lost", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportsItsDepthAndTheAgeOfItsOldestEntry()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using var depth = new MetricCollector<int>(meters, BudgetChatTelemetry.MeterName, "budgetchat.outbox.depth");
        using var age = new MetricCollector<double>(meters, BudgetChatTelemetry.MeterName, "budgetchat.outbox.age");
        await using var outbox = new BudgetOutbox(_outage, timeProvider: Time, meterFactory: meters);
        _outage.Down = true;
        await outbox.AddAsync(Settle("call-1", 0.3m));
        Time.Advance(TimeSpan.FromMilliseconds(500));
        await outbox.AddAsync(Settle("call-2", 0.3m));
        Time.Advance(TimeSpan.FromMilliseconds(250));

        depth.RecordObservableInstruments();
        age.RecordObservableInstruments();

        Assert.Equal(2, depth.LastMeasurement!.Value);
        Assert.Equal(0.75, age.LastMeasurement!.Value, 6);
    }

    [Fact]
    public async Task Drain_StopsAtItsTimeout_WhileTheStoreIsDown_AndEmptiesTheOutboxOnceItIsBack()
    {
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        await using var outbox = new BudgetOutbox(_outage, new BudgetOutboxOptions { RetryDelay = TimeSpan.FromMilliseconds(10) });
        _outage.Down = true;
        await outbox.AddAsync(Settle("call-1", 0.3m));

        Assert.False(await outbox.DrainAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(1, outbox.Count);

        _outage.Down = false;
        Assert.True(await outbox.DrainAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0.3m, (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public async Task TheHostsOutbox_TakesTheClientsFailedSettles_AndIsDrainedWhenTheHostStops()
    {
        var outage = new OutageStore(Store);
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2), _ => outage.Down = true);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IBudgetStore>(outage);
        builder.Services.AddSingleton(Prices);
        builder.Services.AddSingleton(Estimator);
        builder.Services.AddBudgetChat();
        builder.Services.Configure<BudgetOutboxOptions>(o => o.RetryDelay = TimeSpan.FromMilliseconds(10));
        builder.Services.AddChatClient(Inner).UseBudget();
        using IHost host = builder.Build();
        await host.StartAsync();
        IChatClient client = host.Services.GetRequiredService<IChatClient>();
        BudgetOutbox outbox = host.Services.GetRequiredService<BudgetOutbox>();

        await client.GetResponseAsync("hello", ForUser("alice"));
        Assert.Equal(1, outbox.Count);

        outage.Down = false;
        await host.StopAsync();

        Assert.Equal(0, outbox.Count);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public void AClientRefusesAnOutboxOfAnotherStore()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BudgetingChatClient(Inner, Store, outbox: _outbox));
        Assert.Equal("outbox", ex.ParamName);
    }

    [Fact]
    public void Options_AreValidated_NamingTheSetting()
    {
        var zero = Assert.ThrowsAny<ArgumentException>(() => new BudgetOutbox(Store, new BudgetOutboxOptions { MaxEntries = 0 }));
        Assert.Contains(nameof(BudgetOutboxOptions.MaxEntries), zero.Message, StringComparison.Ordinal);
        var delays = Assert.ThrowsAny<ArgumentException>(() => new BudgetOutbox(Store, new BudgetOutboxOptions { RetryDelay = TimeSpan.FromMinutes(2), MaxRetryDelay = TimeSpan.FromMinutes(1) }));
        Assert.Contains(nameof(BudgetOutboxOptions.MaxRetryDelay), delays.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetOutboxEntry(BudgetOutboxOperation.Settle, Project, "id", ["user:a"], -1m, null, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetOutboxEntry(BudgetOutboxOperation.Settle, Project, "id", [], 1m, null, default));
        Assert.Throws<ArgumentException>(() => new BudgetOutboxEntry(BudgetOutboxOperation.Settle, Project, " ", ["user:a"], 1m, null, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetOutboxEntry((BudgetOutboxOperation)9, Project, "id", ["user:a"], 1m, null, default));
    }

    private BudgetOutboxEntry Settle(string id, decimal cost) =>
        new(BudgetOutboxOperation.Settle, Project, id, [BudgetKeys.ForUser("alice")], cost, Model, Time.GetUtcNow());

    // The timer's pass runs on the thread pool after the fake clock fires it.
    private async Task<int> CallsSettleAsync(int expected)
    {
        await WaitUntilAsync(() => _outage.Calls >= expected);
        await Task.Delay(20);
        return _outage.Calls;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The outbox did not get there within 5 seconds.");
    }
}
