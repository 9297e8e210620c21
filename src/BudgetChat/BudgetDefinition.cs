namespace BudgetChat;

/// <summary>What a budget allows: a limit in US dollars, an optional period after which spend resets, and alert thresholds.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record BudgetDefinition
{
    /// <summary>The most alert thresholds one budget may have.</summary>
    public const int MaxAlertThresholds = 16;

    /// <summary>The largest alert threshold, as a fraction of the limit (1000 times the limit); the budget service refuses larger ones too.</summary>
    public const decimal MaxAlertThreshold = 1_000m;

    private readonly decimal[] _alertThresholds;

    /// <summary>Initializes a new instance of the <see cref="BudgetDefinition"/> class.</summary>
    /// <param name="limit">
    /// The most that may be spent in one window, in US dollars, up to <see cref="Stores.BudgetAmounts.Max"/>, held at
    /// <see cref="Stores.BudgetAmounts.Scale"/> decimal places. Zero refuses every call that costs anything.
    /// </param>
    /// <param name="period">How often spend resets; <see cref="BudgetPeriod.None"/> for never.</param>
    /// <param name="alignment">Whether windows follow the calendar or count from the last reset.</param>
    /// <param name="alertThresholds">
    /// Fractions of the limit (for example 0.8 and 1.0) whose crossing raises a <see cref="BudgetAlert"/>, once per
    /// window each, above 0 and at most <see cref="MaxAlertThreshold"/>; <see langword="null"/> for none.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative or above <see cref="Stores.BudgetAmounts.Max"/>, an enum value is undefined, or a threshold is not positive or above <see cref="MaxAlertThreshold"/>.</exception>
    /// <exception cref="ArgumentException">There are more than <see cref="MaxAlertThresholds"/> thresholds.</exception>
    public BudgetDefinition(decimal limit, BudgetPeriod period = BudgetPeriod.None, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar, IEnumerable<decimal>? alertThresholds = null)
    {
        Stores.BudgetAmounts.Check(limit, nameof(limit));
        if (!Enum.IsDefined(period))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown budget period. Use None, Daily, Weekly, Monthly or Yearly.");
        }

        if (!Enum.IsDefined(alignment))
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Unknown window alignment. Use Calendar or Rolling.");
        }

        decimal[] thresholds = alertThresholds?.Distinct().Order().ToArray() ?? [];
        if (thresholds.Length > 0 && thresholds[0] <= 0m)
        {
            throw new ArgumentOutOfRangeException(nameof(alertThresholds), thresholds[0], "Alert thresholds are fractions of the limit and must be positive, for example 0.8 for 80%.");
        }

        if (thresholds.Length > 0 && thresholds[^1] > MaxAlertThreshold)
        {
            throw new ArgumentOutOfRangeException(nameof(alertThresholds), thresholds[^1], $"Alert thresholds are fractions of the limit and must be at most {MaxAlertThreshold}, for example 0.8 for 80%.");
        }

        if (thresholds.Length > MaxAlertThresholds)
        {
            throw new ArgumentException($"A budget can have at most {MaxAlertThresholds} alert thresholds.", nameof(alertThresholds));
        }

        Limit = Stores.BudgetAmounts.Normalize(limit);
        Period = period;
        Alignment = alignment;
        _alertThresholds = thresholds;
    }

    /// <summary>Gets the most that may be spent in one window, in US dollars.</summary>
    public decimal Limit { get; }

    /// <summary>Gets how often spend resets.</summary>
    public BudgetPeriod Period { get; }

    /// <summary>Gets whether windows follow the calendar or count from the last reset.</summary>
    public BudgetWindowAlignment Alignment { get; }

    /// <summary>Gets the fractions of the limit whose crossing raises an alert, in ascending order.</summary>
    public IReadOnlyList<decimal> AlertThresholds => _alertThresholds;

    /// <inheritdoc/>
    public bool Equals(BudgetDefinition? other) =>
        other is not null && Limit == other.Limit && Period == other.Period && Alignment == other.Alignment
        && _alertThresholds.AsSpan().SequenceEqual(other._alertThresholds);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Limit, Period, Alignment, _alertThresholds.Length);
}
