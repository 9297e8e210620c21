namespace BudgetChat;

/// <summary>A budget's spend crossed one of its alert thresholds; raised once per threshold per window.</summary>
/// <param name="Project">The budget's project.</param>
/// <param name="Key">The budget's key.</param>
/// <param name="Threshold">The fraction of the limit that was crossed, for example 0.8.</param>
/// <param name="Spent">The spend in the window just after the charge that crossed it, in US dollars.</param>
/// <param name="Limit">The budget's limit, in US dollars.</param>
/// <param name="WindowStart">When the window started.</param>
/// <param name="WindowEnd">When the window ends, or <see langword="null"/> for a budget without period.</param>
public sealed record BudgetAlert(string Project, string Key, decimal Threshold, decimal Spent, decimal Limit, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd);
