namespace BudgetChat;

/// <summary>A snapshot of one budget as a store saw it at <see cref="UpdatedAt"/> or later.</summary>
/// <remarks>Instances are immutable and thread-safe; they do not change when the store does.</remarks>
public sealed class BudgetState
{
    /// <summary>Gets the project the budget belongs to.</summary>
    public required string Project { get; init; }

    /// <summary>Gets the budget's key within its project, for example <c>user:1234</c> or <c>global</c>.</summary>
    public required string Key { get; init; }

    /// <summary>Gets the limits, enforcement and alert thresholds of the budget.</summary>
    public required BudgetDefinition Definition { get; init; }

    /// <summary>Gets the most that may be spent in one window of the main limit, in US dollars.</summary>
    public decimal Limit => Definition.Limit;

    /// <summary>Gets when the main limit's current window started.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>Gets when the main limit's current window ends and spend resets, or <see langword="null"/> for a budget without period.</summary>
    public DateTimeOffset? WindowEnd { get; init; }

    /// <summary>Gets what has been charged in the main limit's current window, in US dollars.</summary>
    public required decimal Spent { get; init; }

    /// <summary>Gets what active reservations currently hold, in US dollars.</summary>
    public required decimal Reserved { get; init; }

    /// <summary>Gets what can still be reserved under the main limit: the limit less spend and reservations, never below zero.</summary>
    public decimal Remaining => Math.Max(0m, Limit - Spent - Reserved);

    /// <summary>
    /// Gets when the main limit runs out at the rate its window has spent so far, or <see langword="null"/> when it will
    /// not before the window ends (see <see cref="BudgetWindowState.RunsOutAt"/>).
    /// </summary>
    public DateTimeOffset? RunsOutAt { get; init; }

    /// <summary>
    /// Gets every limit's current window, in the order of <see cref="BudgetDefinition.Limits"/>: the first is the main
    /// limit's (the same figures as <see cref="Spent"/>, <see cref="Reserved"/>, <see cref="WindowStart"/>, …).
    /// </summary>
    public IReadOnlyList<BudgetWindowState> Windows
    {
        get => _windows ??= [new BudgetWindowState { Limit = Definition.Limits[0], Start = WindowStart, End = WindowEnd, Spent = Spent, Reserved = Reserved, RunsOutAt = RunsOutAt }];
        init => _windows = value;
    }

    private IReadOnlyList<BudgetWindowState>? _windows;

    /// <summary>Gets the most any limit has used of itself (<see cref="BudgetWindowState.Used"/>): 1 or more once one is used up.</summary>
    public decimal Used
    {
        get
        {
            decimal most = 0m;
            foreach (BudgetWindowState window in Windows)
            {
                most = Math.Max(most, window.Used);
            }

            return most;
        }
    }

    /// <summary>Gets the soonest run-out forecast of any limit (<see cref="BudgetWindowState.RunsOutAt"/>), or <see langword="null"/> when none runs out in its window.</summary>
    public DateTimeOffset? SoonestRunOut
    {
        get
        {
            DateTimeOffset? soonest = null;
            foreach (BudgetWindowState window in Windows)
            {
                if (window.RunsOutAt is { } at && (soonest is null || at < soonest))
                {
                    soonest = at;
                }
            }

            return soonest;
        }
    }

    /// <summary>Gets the spend of the current window per model id.</summary>
    public required IReadOnlyDictionary<string, decimal> SpendByModel { get; init; }

    /// <summary>Gets when the budget was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the budget last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
