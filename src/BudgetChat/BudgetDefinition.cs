namespace BudgetChat;

/// <summary>What a budget allows: a limit in US dollars and an optional period after which spend resets.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record BudgetDefinition
{
    /// <summary>Initializes a new instance of the <see cref="BudgetDefinition"/> class.</summary>
    /// <param name="limit">The most that may be spent in one window, in US dollars. Zero refuses every call that costs anything.</param>
    /// <param name="period">How often spend resets; <see cref="BudgetPeriod.None"/> for never.</param>
    /// <param name="alignment">Whether windows follow the calendar or count from the last reset.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative, or an enum value is undefined.</exception>
    public BudgetDefinition(decimal limit, BudgetPeriod period = BudgetPeriod.None, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (!Enum.IsDefined(period))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown budget period. Use None, Daily, Weekly, Monthly or Yearly.");
        }

        if (!Enum.IsDefined(alignment))
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Unknown window alignment. Use Calendar or Rolling.");
        }

        Limit = limit;
        Period = period;
        Alignment = alignment;
    }

    /// <summary>Gets the most that may be spent in one window, in US dollars.</summary>
    public decimal Limit { get; }

    /// <summary>Gets how often spend resets.</summary>
    public BudgetPeriod Period { get; }

    /// <summary>Gets whether windows follow the calendar or count from the last reset.</summary>
    public BudgetWindowAlignment Alignment { get; }
}
