using System.ComponentModel.DataAnnotations;

namespace BudgetChat;

/// <summary>Options of <see cref="BudgetResetService"/>.</summary>
/// <remarks>Validated by their data annotations when a container first uses them. Not thread-safe while being configured.</remarks>
public sealed class BudgetResetServiceOptions
{
    /// <summary>Gets or sets a value indicating whether the service sweeps at all. Defaults to <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets the time between sweeps. Defaults to one hour. Windows roll over when a budget is touched
    /// anyway; a sweep makes the stored state of untouched budgets current and reclaims reservations of dead processes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", MinimumIsExclusive = true)]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Gets or sets how long spend records are kept (<see cref="IBudgetSpendLog"/>): each sweep deletes the older ones.
    /// Defaults to 90 days; <see langword="null"/> keeps them all. Budget windows that started before the retention can
    /// no longer be checked against their records.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", MinimumIsExclusive = true)]
    public TimeSpan? SpendRetention { get; set; } = TimeSpan.FromDays(90);
}
