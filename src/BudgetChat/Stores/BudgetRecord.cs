namespace BudgetChat.Stores;

/// <summary>A budget as a persistent store saves it: everything <see cref="BudgetLedger.Import"/> needs to restore it.</summary>
/// <param name="Key">The budget's key.</param>
/// <param name="Definition">The limits, enforcement and alert thresholds.</param>
/// <param name="Anchor">The instant rolling windows are counted from.</param>
/// <param name="WindowStart">When the main limit's current window started.</param>
/// <param name="WindowEnd">When the main limit's current window ends, or <see langword="null"/> for a budget without period.</param>
/// <param name="Spent">What was charged in the main limit's current window, in US dollars.</param>
/// <param name="Reserved">What active reservations hold, in US dollars.</param>
/// <param name="SpendByModel">The spend of the main limit's current window per model id.</param>
/// <param name="AlertsRaised">The alert thresholds already raised in the main limit's window, one bit per threshold in ascending order.</param>
/// <param name="CreatedAt">When the budget was created.</param>
/// <param name="UpdatedAt">When the budget last changed.</param>
/// <param name="Windows">
/// The windows of the other limits, one per <c>Definition.Limits[1..]</c> in order; <see langword="null"/> or empty when
/// the budget has only its main limit. What they hold is not saved: it follows from the active reservations.
/// </param>
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
    DateTimeOffset UpdatedAt,
    IReadOnlyList<BudgetWindowRecord>? Windows = null);

/// <summary>The window of one of a budget's other limits, as a persistent store saves it.</summary>
/// <param name="Start">When the window started.</param>
/// <param name="End">When it ends, or <see langword="null"/> for a limit without period.</param>
/// <param name="Spent">What it has counted: dollars, tokens or requests.</param>
/// <param name="AlertsRaised">The alert thresholds already raised in this window (dollar limits), one bit per threshold.</param>
public sealed record BudgetWindowRecord(DateTimeOffset Start, DateTimeOffset? End, decimal Spent, int AlertsRaised);
