namespace BudgetChat.Stores;

/// <summary>
/// The names of <see cref="BudgetSpendOutcome"/>, <see cref="BudgetSpendMarks"/> and <see cref="BudgetSpendGrouping"/>
/// values in databases, on the wire, in CSV and on the command line.
/// </summary>
/// <remarks>The names are part of those formats: changing one makes existing databases unreadable. This type is thread-safe.</remarks>
public static class BudgetSpendNames
{
    private static readonly string[] Outcomes = ["charged", "estimated", "refused", "released", "reset", "adjusted"];
    private static readonly string[] Groupings = ["none", "user", "model", "key", "day", "hour", "outcome"];
    private static readonly (BudgetSpendMarks Mark, string Name)[] MarkNames =
        [(BudgetSpendMarks.Reduced, "reduced"), (BudgetSpendMarks.Downgraded, "downgraded"), (BudgetSpendMarks.WouldRefuse, "would_refuse")];

    /// <summary>Gets an outcome's name: <c>charged</c>, <c>estimated</c>, <c>refused</c>, <c>released</c>, <c>reset</c> or <c>adjusted</c>.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The name.</returns>
    public static string ToName(BudgetSpendOutcome outcome) =>
        (uint)outcome < (uint)Outcomes.Length ? Outcomes[(int)outcome] : throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome.");

    /// <summary>Reads an outcome's name, as <see cref="ToName(BudgetSpendOutcome)"/> writes it (ignoring case).</summary>
    /// <param name="name">The name.</param>
    /// <param name="outcome">The outcome.</param>
    /// <returns><see langword="true"/> when the name is an outcome's.</returns>
    public static bool TryParseOutcome(string? name, out BudgetSpendOutcome outcome)
    {
        int i = Array.FindIndex(Outcomes, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        outcome = (BudgetSpendOutcome)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>Gets the names of the marks set, joined by commas (<c>reduced,downgraded</c>), or an empty string for none.</summary>
    /// <param name="marks">The marks.</param>
    /// <returns>The names.</returns>
    public static string ToNames(BudgetSpendMarks marks) =>
        marks == BudgetSpendMarks.None ? string.Empty : string.Join(',', MarkNames.Where(m => marks.HasFlag(m.Mark)).Select(m => m.Name));

    /// <summary>Reads a mark's name: <c>reduced</c>, <c>downgraded</c> or <c>would_refuse</c> (ignoring case).</summary>
    /// <param name="name">The name.</param>
    /// <param name="mark">The mark.</param>
    /// <returns><see langword="true"/> when the name is a mark's.</returns>
    public static bool TryParseMark(string? name, out BudgetSpendMarks mark)
    {
        int i = Array.FindIndex(MarkNames, m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
        mark = i >= 0 ? MarkNames[i].Mark : BudgetSpendMarks.None;
        return i >= 0;
    }

    /// <summary>Reads mark names joined by commas, as <see cref="ToNames"/> writes them.</summary>
    /// <param name="names">The names; empty or <see langword="null"/> for none.</param>
    /// <returns>The marks.</returns>
    /// <exception cref="FormatException">A name is no mark's.</exception>
    public static BudgetSpendMarks ParseMarks(string? names)
    {
        BudgetSpendMarks marks = BudgetSpendMarks.None;
        foreach (string name in (names ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            marks |= TryParseMark(name, out BudgetSpendMarks mark) ? mark : throw new FormatException($"Unknown spend mark '{name}'.");
        }

        return marks;
    }

    /// <summary>
    /// Reads a filter the way people write it: an outcome's name (<c>refused</c>) or a mark's (<c>downgraded</c>,
    /// <c>reduced</c>, <c>would_refuse</c>), applied to <paramref name="query"/>.
    /// </summary>
    /// <param name="query">The query to add the filter to.</param>
    /// <param name="name">The outcome or mark name.</param>
    /// <param name="filtered">The query with the filter.</param>
    /// <returns><see langword="true"/> when the name is an outcome's or a mark's.</returns>
    public static bool TryApplyOutcomeFilter(BudgetSpendQuery query, string? name, out BudgetSpendQuery filtered)
    {
        ArgumentNullException.ThrowIfNull(query);
        filtered = query;
        if (TryParseOutcome(name, out BudgetSpendOutcome outcome))
        {
            filtered = query with { Outcome = outcome };
            return true;
        }

        if (TryParseMark(name, out BudgetSpendMarks mark))
        {
            filtered = query with { Marks = query.Marks | mark };
            return true;
        }

        return false;
    }

    /// <summary>Gets a grouping's name: <c>none</c>, <c>user</c>, <c>model</c>, <c>key</c>, <c>day</c>, <c>hour</c> or <c>outcome</c>.</summary>
    /// <param name="grouping">The grouping.</param>
    /// <returns>The name.</returns>
    public static string ToName(BudgetSpendGrouping grouping) =>
        (uint)grouping < (uint)Groupings.Length ? Groupings[(int)grouping] : throw new ArgumentOutOfRangeException(nameof(grouping), grouping, "Unknown grouping.");

    /// <summary>Reads a grouping's name (ignoring case).</summary>
    /// <param name="name">The name.</param>
    /// <param name="grouping">The grouping.</param>
    /// <returns><see langword="true"/> when the name is a grouping's.</returns>
    public static bool TryParseGrouping(string? name, out BudgetSpendGrouping grouping)
    {
        int i = Array.FindIndex(Groupings, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        grouping = (BudgetSpendGrouping)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>Gets the value a record has in a grouping (a user, a model, a day, ...): the keys are one value each.</summary>
    /// <param name="record">The record.</param>
    /// <param name="grouping">The grouping; not <see cref="BudgetSpendGrouping.Key"/>, whose values are the record's keys.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    public static string? GroupValue(BudgetSpendRecord record, BudgetSpendGrouping grouping)
    {
        ArgumentNullException.ThrowIfNull(record);
        return grouping switch
        {
            BudgetSpendGrouping.User => record.User,
            BudgetSpendGrouping.Model => record.Model,
            BudgetSpendGrouping.Day => record.Time.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            BudgetSpendGrouping.Hour => record.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH", System.Globalization.CultureInfo.InvariantCulture),
            BudgetSpendGrouping.Outcome => ToName(record.Outcome),
            BudgetSpendGrouping.None => null,
            _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping, "A record has one value per key; group its Keys instead."),
        };
    }
}
