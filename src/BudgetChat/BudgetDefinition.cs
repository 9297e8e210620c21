namespace BudgetChat;

/// <summary>
/// What a budget allows: one or more limits (<see cref="Limits"/>), each of US dollars, tokens or requests per window and
/// on every model or some of them; alert thresholds; and whether it refuses calls or only observes them.
/// </summary>
/// <remarks>
/// <para>
/// The first limit is the budget's main limit: US dollars on every model. <see cref="Limit"/>, <see cref="Period"/> and
/// <see cref="Alignment"/> are its, and so are <see cref="BudgetState.Spent"/> and the window of <see cref="BudgetState"/>;
/// the others (for example $5 a day beside $50 a month, 100,000 tokens a minute, $10 a month on <c>premium</c>
/// models) each keep a window of their own (<see cref="BudgetState.Windows"/>). A reservation must fit every limit
/// that applies to its model, on every key, or it holds nothing.
/// </para>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed record BudgetDefinition
{
    /// <summary>The most alert thresholds one budget may have.</summary>
    public const int MaxAlertThresholds = 16;

    /// <summary>The most limits one budget may have.</summary>
    public const int MaxLimits = 16;

    /// <summary>The largest alert threshold, as a fraction of the limit (1000 times the limit); the budget service refuses larger ones too.</summary>
    public const decimal MaxAlertThreshold = 1_000m;

    private readonly decimal[] _alertThresholds;
    private readonly BudgetLimit[] _limits;

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
        : this([new BudgetLimit(limit, period, alignment)], alertThresholds)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetDefinition"/> class with several limits.</summary>
    /// <param name="limits">
    /// The limits, at most <see cref="MaxLimits"/>, with names unique within the budget. The first is the main limit and is
    /// US dollars on every model.
    /// </param>
    /// <param name="alertThresholds">
    /// Fractions of each dollar limit (for example 0.8 and 1.0) whose crossing raises a <see cref="BudgetAlert"/>, once per
    /// window each, above 0 and at most <see cref="MaxAlertThreshold"/>; <see langword="null"/> for none.
    /// </param>
    /// <param name="enforcement">Whether calls that do not fit are refused, or only reported (<see cref="BudgetEnforcement.Observe"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is not positive or above <see cref="MaxAlertThreshold"/>, or <paramref name="enforcement"/> is undefined.</exception>
    /// <exception cref="ArgumentException">There are no limits or too many, the first is not dollars on every model, two share a name, or there are too many thresholds.</exception>
    public BudgetDefinition(IEnumerable<BudgetLimit> limits, IEnumerable<decimal>? alertThresholds = null, BudgetEnforcement enforcement = BudgetEnforcement.Enforce)
    {
        ArgumentNullException.ThrowIfNull(limits);
        BudgetLimit[] list = [.. limits];
        if (list.Length == 0 || list.Length > MaxLimits)
        {
            throw new ArgumentException($"A budget has 1 to {MaxLimits} limits.", nameof(limits));
        }

        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException("A budget's limits cannot be null.", nameof(limits));
            }

            for (int j = 0; j < i; j++)
            {
                if (string.Equals(list[i].Name, list[j].Name, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Two limits of the budget are called '{list[i].Name}'; give them names of their own (BudgetLimit's name).", nameof(limits));
                }
            }
        }

        if (list[0].Unit != BudgetUnit.Dollars || !list[0].AppliesToEveryModel)
        {
            throw new ArgumentException($"A budget's first limit is its main limit, in dollars on every model; '{list[0].Name}' is not. Put a dollar limit first (BudgetAmounts.Max for no dollar limit).", nameof(limits));
        }

        if (!Enum.IsDefined(enforcement))
        {
            throw new ArgumentOutOfRangeException(nameof(enforcement), enforcement, "Unknown enforcement. Use Enforce or Observe.");
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

        _limits = list;
        _alertThresholds = thresholds;
        Enforcement = enforcement;
    }

    /// <summary>Gets the most that may be spent in one window of the main limit, in US dollars.</summary>
    public decimal Limit => _limits[0].Amount;

    /// <summary>Gets how often the main limit's spend resets.</summary>
    public BudgetPeriod Period => _limits[0].Period;

    /// <summary>Gets whether the main limit's windows follow the calendar or count from the last reset.</summary>
    public BudgetWindowAlignment Alignment => _limits[0].Alignment;

    /// <summary>Gets the limits, the main one first.</summary>
    public IReadOnlyList<BudgetLimit> Limits => _limits;

    /// <summary>Gets whether calls that do not fit are refused or only reported.</summary>
    public BudgetEnforcement Enforcement { get; }

    /// <summary>Returns a copy of this definition with <paramref name="limit"/> added after its limits.</summary>
    /// <param name="limit">The limit to add, for example <c>BudgetLimit.Tokens(100_000, BudgetPeriod.Minutely)</c>.</param>
    /// <returns>The new definition.</returns>
    /// <exception cref="ArgumentException">The budget would have too many limits, or two with one name.</exception>
    public BudgetDefinition WithLimit(BudgetLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        return new([.. _limits, limit], _alertThresholds, Enforcement);
    }

    /// <summary>Returns a copy of this definition with another enforcement.</summary>
    /// <param name="enforcement">Whether calls that do not fit are refused or only reported.</param>
    /// <returns>The new definition.</returns>
    public BudgetDefinition WithEnforcement(BudgetEnforcement enforcement) => new(_limits, _alertThresholds, enforcement);

    /// <summary>Gets the fractions of the limit whose crossing raises an alert, in ascending order.</summary>
    public IReadOnlyList<decimal> AlertThresholds => _alertThresholds;

    /// <inheritdoc/>
    public bool Equals(BudgetDefinition? other) =>
        other is not null && Enforcement == other.Enforcement && _limits.AsSpan().SequenceEqual(other._limits)
        && _alertThresholds.AsSpan().SequenceEqual(other._alertThresholds);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_limits[0], _limits.Length, Enforcement, _alertThresholds.Length);
}
