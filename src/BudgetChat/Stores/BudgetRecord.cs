namespace BudgetChat.Stores;

/// <summary>A budget as a persistent store saves it: everything <see cref="BudgetLedger.Import"/> needs to restore it.</summary>
/// <param name="Key">The budget's key.</param>
/// <param name="Definition">The limit, period, alignment and alert thresholds.</param>
/// <param name="Anchor">The instant rolling windows are counted from.</param>
/// <param name="WindowStart">When the current window started.</param>
/// <param name="WindowEnd">When the current window ends, or <see langword="null"/> for a budget without period.</param>
/// <param name="Spent">What was charged in the current window, in US dollars.</param>
/// <param name="Reserved">What active reservations hold, in US dollars.</param>
/// <param name="SpendByModel">The spend of the current window per model id.</param>
/// <param name="AlertsRaised">The alert thresholds already raised in this window, one bit per threshold in ascending order.</param>
/// <param name="CreatedAt">When the budget was created.</param>
/// <param name="UpdatedAt">When the budget last changed.</param>
public sealed record BudgetRecord(
    string Key,
    BudgetDefinition Definition,
    DateTimeOffset Anchor,
    DateTimeOffset WindowStart,
    DateTimeOffset? WindowEnd,
    decimal Spent,
    decimal Reserved,
    IReadOnlyDictionary<string, decimal> SpendByModel,
    int AlertsRaised,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
