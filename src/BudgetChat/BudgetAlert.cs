namespace BudgetChat;

/// <summary>A budget's spend crossed one of its alert thresholds; raised once per threshold per window.</summary>
/// <param name="Project">The budget's project.</param>
/// <param name="Key">The budget's key.</param>
/// <param name="Threshold">The fraction of the limit that was crossed, for example 0.8.</param>
/// <param name="Spent">The spend in the window just after the charge that crossed it, in US dollars.</param>
/// <param name="Limit">The limit, in US dollars.</param>
/// <param name="WindowStart">When the window started.</param>
/// <param name="WindowEnd">When the window ends, or <see langword="null"/> for a limit without period.</param>
/// <param name="Window">The name of the dollar limit whose window it is (<see cref="BudgetLimit.Name"/>), for example <c>daily</c>; <see langword="null"/> when not known.</param>
public sealed record BudgetAlert(string Project, string Key, decimal Threshold, decimal Spent, decimal Limit, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd, string? Window = null)
{
    /// <summary>
    /// Gets when the limit runs out if its window goes on spending at the rate it has so far, or <see langword="null"/>
    /// when it will not before the window ends (see <see cref="BudgetWindowState.Forecast"/>).
    /// </summary>
    public DateTimeOffset? RunsOutAt { get; init; }
}
