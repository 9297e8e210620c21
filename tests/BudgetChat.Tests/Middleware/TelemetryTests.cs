using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using System.Diagnostics.Metrics;

namespace BudgetChat.Tests.Middleware;

public sealed class TelemetryTests : BudgetingChatClientFixture, IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task ReportsSpendByModel_ReservationOutcomes_AndEstimateError()
    {
        IMeterFactory meters = _services.GetRequiredService<IMeterFactory>();
        using var spend = new MetricCollector<double>(meters, BudgetChatTelemetry.MeterName, "budgetchat.spend");
        using var reservations = new MetricCollector<long>(meters, BudgetChatTelemetry.MeterName, "budgetchat.reservations");
        using var error = new MetricCollector<double>(meters, BudgetChatTelemetry.MeterName, "budgetchat.estimate.error");
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(WorstCase + 0.01m));
        Answer("ok", Usage(10, 90));
        using BudgetingChatClient client = CreateInstrumentedClient();

        // 0.19 spent leaves 0.03: the input (0.01) and 10 output tokens, fewer than the minimum of 16.
        await client.GetResponseAsync("hi", ForUser("alice"));
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", ForUser("alice")));

        CollectedMeasurement<double> charged = Assert.Single(spend.GetMeasurementSnapshot());
        Assert.Equal((double)Cost(10, 90), charged.Value, 12);
        Assert.Equal(Model, charged.Tags["budgetchat.model"]);
        Assert.Equal(["reserved", "refused"], reservations.GetMeasurementSnapshot().Select(m => (string)m.Tags["budgetchat.outcome"]!));
        Assert.Equal((double)(WorstCase - Cost(10, 90)), Assert.Single(error.GetMeasurementSnapshot()).Value, 12);
    }

    [Fact]
    public async Task LogsAWarning_WhenChargingAnEstimateForMissingUsage()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("abc", usage: null);
        using BudgetingChatClient client = CreateInstrumentedClient();

        await client.GetResponseAsync("hi", ForUser("alice"));

        FakeLogRecord warning = Assert.Single(_logs.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("reported no usage", warning.Message, StringComparison.Ordinal);
        Assert.Contains(Model, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogsTheRefusal_WithTheBudgetKey()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0m));
        Answer("never", Usage(1, 1));
        using BudgetingChatClient client = CreateInstrumentedClient();

        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", ForUser("alice")));

        FakeLogRecord refused = Assert.Single(_logs.GetSnapshot(), r => r.Level == LogLevel.Information);
        Assert.Contains("user:alice", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "could not record Settle")]
    [InlineData(true, "could not record Charge")]
    public async Task LogsAWarning_WhenTheCostCannotBeRecordedYet_SayingWhetherAReservationWasHeld(bool failOpen, string expected)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        var outage = new OutageStore(Store) { Down = failOpen };
        Answer("ok", Usage(10, 2), _ => outage.Down = true); // the store goes (or stays) down while the model runs
        using BudgetingChatClient client = CreateInstrumentedClient(outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);

        await client.GetResponseAsync("hi", ForUser("alice"));

        // Not an error: the cost waits in the outbox, which records it when the store is back.
        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
        FakeLogRecord queued = Assert.Single(_logs.GetSnapshot(), r => r.Message.Contains("outbox and retried with the same id", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, queued.Level);
        Assert.Contains(expected, queued.Message, StringComparison.Ordinal);
    }

    private BudgetingChatClient CreateInstrumentedClient(IBudgetStore? store = null, Action<BudgetingChatClientOptions>? configure = null)
    {
        var options = new BudgetingChatClientOptions();
        configure?.Invoke(options);
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Information));
        return new BudgetingChatClient(Inner, store ?? Store, options, Prices, Estimator, loggerFactory, Time, _services.GetRequiredService<IMeterFactory>());
    }
}
