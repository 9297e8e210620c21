namespace BudgetChat;

/// <summary>Options of <see cref="BudgetResetService"/>.</summary>
public sealed class BudgetResetServiceOptions
{
    /// <summary>Gets or sets a value indicating whether the service sweeps at all. Defaults to <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets the time between sweeps. Defaults to one hour. Windows roll over when a budget is touched
    /// anyway; a sweep makes the stored state of untouched budgets current and reclaims reservations of dead processes.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}
