using System.Diagnostics.Metrics;

namespace BudgetChat;

/// <summary>The instruments of meter <see cref="MeterName"/>.</summary>
/// <remarks>
/// Money is reported as <see cref="double"/> US dollars because metric exporters carry doubles; the stores keep
/// exact <see cref="decimal"/> amounts. This type is thread-safe.
/// </remarks>
internal sealed class BudgetChatMetrics : IDisposable
{
    public const string MeterName = "BudgetChat";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public BudgetChatMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Spend = _meter.CreateCounter<double>("budgetchat.spend", "USD", "Money charged to budgets for model calls.");
        Reservations = _meter.CreateCounter<long>("budgetchat.reservations", "{reservation}", "Admission decisions: reserved, reduced (max output tokens lowered to fit), would_refuse (observe mode), refused, not_found, store_unavailable, checked or unbudgeted.");
        Downgrades = _meter.CreateCounter<long>("budgetchat.downgrades", "{call}", "Calls the cheaper-model ladder sent to another model, by budgetchat.model.from and budgetchat.model.to.");
        EstimateError = _meter.CreateHistogram<double>("budgetchat.estimate.error", "USD", "Amount held before a call less what it really cost.");
        UsageMissing = _meter.CreateCounter<long>("budgetchat.usage.missing", "{call}", "Calls whose provider reported no usage, charged by estimate.");
    }

    /// <summary>Gets the meter, for instruments of other types (the outbox's).</summary>
    public Meter Meter => _meter;

    public Counter<double> Spend { get; }

    public Counter<long> Reservations { get; }

    public Counter<long> Downgrades { get; }

    public Histogram<double> EstimateError { get; }

    public Counter<long> UsageMissing { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
