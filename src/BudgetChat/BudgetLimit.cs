using System.Collections.Concurrent;
using System.Globalization;
using BudgetChat.Stores;

namespace BudgetChat;

/// <summary>
/// One limit of a budget: an amount of dollars, tokens or requests per window, on every model or on some of them.
/// A <see cref="BudgetDefinition"/> holds one or more; a call must fit every limit that applies to its model.
/// </summary>
/// <remarks>
/// <para>
/// Model patterns are an exact model id (<c>gpt-4o</c>) or a prefix ending in <c>*</c> (<c>claude-opus-*</c>), compared
/// without regard to case. A model matches when the id as called matches, or any form of it the price catalog
/// resolves: without its provider prefixes (<c>openai/gpt-4o</c> is <c>gpt-4o</c>) and without a date or version
/// suffix (<c>gpt-4o-2024-08-06</c> is <c>gpt-4o</c>). A call whose model is not known matches no pattern.
/// </para>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed record BudgetLimit
{
    /// <summary>The most model patterns one limit may have.</summary>
    public const int MaxModels = 64;

    /// <summary>The longest a limit's name or a model pattern may be.</summary>
    public const int MaxNameLength = 200;

    // Model id -> whether it matches, filled as calls come; bounded so that a flood of distinct ids cannot grow it.
    private const int MaxRemembered = 1024;

    private readonly string[] _models;
    private readonly ConcurrentDictionary<string, bool>? _matches;

    /// <summary>Initializes a new instance of the <see cref="BudgetLimit"/> class.</summary>
    /// <param name="amount">
    /// The most one window allows: US dollars (held at <see cref="BudgetAmounts.Scale"/> decimal places), or a whole number
    /// of tokens or requests; from 0 to <see cref="BudgetAmounts.Max"/>.
    /// </param>
    /// <param name="period">How often the window starts again; <see cref="BudgetPeriod.None"/> for never.</param>
    /// <param name="alignment">Whether windows follow the calendar (or the clock) or count from the budget's last reset.</param>
    /// <param name="unit">What the limit counts.</param>
    /// <param name="models">The models the limit applies to (exact ids or prefixes ending in <c>*</c>); <see langword="null"/> or empty for every model.</param>
    /// <param name="name">
    /// What refusals, alerts and headers call the limit, unique within a budget; <see langword="null"/> for one made of
    /// its period, unit and models, for example <c>daily</c>, <c>minutely tokens</c> or <c>daily premium</c>.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The amount is out of range or not whole for tokens or requests, or an enum value is undefined.</exception>
    /// <exception cref="ArgumentException">A model pattern or the name is blank, too long, or a pattern has <c>*</c> other than at its end.</exception>
    public BudgetLimit(decimal amount, BudgetPeriod period = BudgetPeriod.None, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar, BudgetUnit unit = BudgetUnit.Dollars, IEnumerable<string>? models = null, string? name = null)
    {
        BudgetAmounts.Check(amount, nameof(amount));
        if (!Enum.IsDefined(period))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown budget period. Use None, Minutely, Hourly, Daily, Weekly, Monthly or Yearly.");
        }

        if (!Enum.IsDefined(alignment))
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Unknown window alignment. Use Calendar or Rolling.");
        }

        if (!Enum.IsDefined(unit))
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown budget unit. Use Dollars, Tokens or Requests.");
        }

        if (unit != BudgetUnit.Dollars && amount != decimal.Truncate(amount))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, $"A limit of {unit.ToString().ToLowerInvariant()} is a whole number.");
        }

        _models = models is null ? [] : [.. models.Distinct(StringComparer.OrdinalIgnoreCase)];
        if (_models.Length > MaxModels)
        {
            throw new ArgumentException($"A limit can name at most {MaxModels} model patterns.", nameof(models));
        }

        foreach (string model in _models)
        {
            CheckPattern(model, nameof(models));
        }

        if (name is not null && (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Trim().Length != name.Length))
        {
            throw new ArgumentException($"A limit's name is 1 to {MaxNameLength} characters without leading or trailing spaces.", nameof(name));
        }

        Amount = BudgetAmounts.Normalize(amount);
        Period = period;
        Alignment = alignment;
        Unit = unit;
        Name = name ?? DefaultName(period, unit, _models);
        _matches = _models.Length == 0 ? null : new(StringComparer.Ordinal);
    }

    /// <summary>Gets the most one window allows, in <see cref="Unit"/>.</summary>
    public decimal Amount { get; }

    /// <summary>Gets how often the window starts again.</summary>
    public BudgetPeriod Period { get; }

    /// <summary>Gets whether windows follow the calendar or count from the budget's last reset.</summary>
    public BudgetWindowAlignment Alignment { get; }

    /// <summary>Gets what the limit counts.</summary>
    public BudgetUnit Unit { get; }

    /// <summary>Gets the model patterns the limit applies to; empty for every model.</summary>
    public IReadOnlyList<string> Models => _models;

    /// <summary>Gets what refusals, alerts and headers call the limit.</summary>
    public string Name { get; }

    /// <summary>Gets a value indicating whether the limit applies to every model.</summary>
    public bool AppliesToEveryModel => _models.Length == 0;

    /// <summary>Creates a limit of US dollars per window.</summary>
    /// <param name="amount">The dollars.</param>
    /// <param name="period">How often the window starts again.</param>
    /// <param name="alignment">Calendar or rolling windows.</param>
    /// <returns>The limit.</returns>
    public static BudgetLimit Dollars(decimal amount, BudgetPeriod period = BudgetPeriod.None, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar) =>
        new(amount, period, alignment);

    /// <summary>Creates a limit of tokens (input and output) per window, for example per minute for a TPM limit.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="period">How often the window starts again.</param>
    /// <param name="alignment">Calendar (clock) or rolling windows.</param>
    /// <returns>The limit.</returns>
    public static BudgetLimit Tokens(long tokens, BudgetPeriod period, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar) =>
        new(tokens, period, alignment, BudgetUnit.Tokens);

    /// <summary>Creates a limit of requests per window, for example per minute for an RPM limit.</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="period">How often the window starts again.</param>
    /// <param name="alignment">Calendar (clock) or rolling windows.</param>
    /// <returns>The limit.</returns>
    public static BudgetLimit Requests(long requests, BudgetPeriod period, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar) =>
        new(requests, period, alignment, BudgetUnit.Requests);

    /// <summary>Returns a copy of this limit that applies only to the given models (a per-model cap).</summary>
    /// <param name="models">Exact model ids or prefixes ending in <c>*</c>.</param>
    /// <param name="name">The cap's name, for example the name of a model group such as <c>premium</c>; <see langword="null"/> for one made of the models.</param>
    /// <returns>The cap.</returns>
    public BudgetLimit ForModels(IEnumerable<string> models, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        string[] list = [.. models];
        if (list.Length == 0)
        {
            throw new ArgumentException("A per-model cap names at least one model.", nameof(models));
        }

        return new(Amount, Period, Alignment, Unit, list, name);
    }

    /// <summary>Tells whether the limit applies to a call on <paramref name="model"/>.</summary>
    /// <param name="model">The model id as called, or <see langword="null"/> when it is not known.</param>
    /// <returns><see langword="true"/> when the limit applies to every model, or the model matches one of its patterns.</returns>
    public bool AppliesTo(string? model)
    {
        if (_matches is null)
        {
            return true;
        }

        if (string.IsNullOrEmpty(model))
        {
            return false;
        }

        if (_matches.TryGetValue(model, out bool known))
        {
            return known;
        }

        bool matches = Matches(model);
        if (_matches.Count < MaxRemembered)
        {
            _matches.TryAdd(model, matches);
        }

        return matches;
    }

    /// <inheritdoc/>
    public bool Equals(BudgetLimit? other) =>
        other is not null && Amount == other.Amount && Period == other.Period && Alignment == other.Alignment && Unit == other.Unit
        && string.Equals(Name, other.Name, StringComparison.Ordinal) && _models.AsSpan().SequenceEqual(other._models);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Amount, Period, Alignment, Unit, Name);

    /// <summary>Tells whether <paramref name="other"/> counts the same windows as this limit, whatever its amount: a budget that changes only amounts keeps its spend.</summary>
    /// <param name="other">The other limit.</param>
    /// <returns><see langword="true"/> when the two differ at most in their amount.</returns>
    public bool IsSameWindowAs(BudgetLimit other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Period == other.Period && Alignment == other.Alignment && Unit == other.Unit
            && string.Equals(Name, other.Name, StringComparison.Ordinal) && _models.AsSpan().SequenceEqual(other._models);
    }

    private bool Matches(string model)
    {
        foreach (string form in ModelPriceCatalog.ResolutionForms(model))
        {
            foreach (string pattern in _models)
            {
                bool hit = pattern[^1] == '*'
                    ? form.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.OrdinalIgnoreCase)
                    : string.Equals(form, pattern, StringComparison.OrdinalIgnoreCase);
                if (hit)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void CheckPattern(string model, string paramName)
    {
        if (string.IsNullOrWhiteSpace(model) || model.Length > MaxNameLength || model.Trim().Length != model.Length)
        {
            throw new ArgumentException($"A model pattern is 1 to {MaxNameLength} characters without leading or trailing spaces.", paramName);
        }

        int star = model.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0 && (star != model.Length - 1 || model.Length == 1))
        {
            throw new ArgumentException($"The model pattern '{model}' has a '*' other than at its end after a prefix; use an exact id or a prefix such as 'claude-opus-*'.", paramName);
        }
    }

    private static string DefaultName(BudgetPeriod period, BudgetUnit unit, string[] models)
    {
        string name = BudgetPeriodNames.ToDisplayName(period);
        if (unit != BudgetUnit.Dollars)
        {
            name += unit == BudgetUnit.Tokens ? " tokens" : " requests";
        }

        if (models.Length > 0)
        {
            name += " " + string.Join(", ", models);
        }

        return name.Length <= MaxNameLength ? name : string.Create(CultureInfo.InvariantCulture, $"{name[..(MaxNameLength - 20)]}… ({models.Length} models)");
    }
}
