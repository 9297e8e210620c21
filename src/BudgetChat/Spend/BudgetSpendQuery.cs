namespace BudgetChat;

/// <summary>Which spend records to read: a time range, filters and a page.</summary>
/// <remarks>Every filter left <see langword="null"/> matches everything. Instances are immutable and thread-safe.</remarks>
public sealed record BudgetSpendQuery
{
    /// <summary>The most records one page may ask for.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Gets the earliest <see cref="BudgetSpendRecord.Time"/> included, or <see langword="null"/> for no bound.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Gets the time records must be before (excluded), or <see langword="null"/> for no bound.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Gets the user the records must be of.</summary>
    public string? User { get; init; }

    /// <summary>Gets a key the records must name in <see cref="BudgetSpendRecord.Keys"/>.</summary>
    public string? Key { get; init; }

    /// <summary>Gets the model that must have answered (<see cref="BudgetSpendRecord.Model"/>), compared exactly.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the outcome the records must have.</summary>
    public BudgetSpendOutcome? Outcome { get; init; }

    /// <summary>Gets the marks the records must all have (for example only downgraded calls).</summary>
    public BudgetSpendMarks Marks { get; init; }

    /// <summary>Gets the sequence records must come after (excluded): to read on from a known record, oldest first.</summary>
    public long? After { get; init; }

    /// <summary>Gets the sequence records must come before (excluded): the next page of a newest-first read (<see cref="BudgetSpendPage.Next"/>).</summary>
    public long? Before { get; init; }

    /// <summary>Gets the most records a page holds, from 1 to <see cref="MaxLimit"/>; 100 by default.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Gets a value indicating whether the oldest records come first; by default the newest do.</summary>
    public bool OldestFirst { get; init; }

    /// <summary>
    /// Gets how many groups <see cref="IBudgetSpendLog.GroupSpendAsync"/> returns at most, the first in its order (the
    /// costliest; for days and hours the earliest), from 1 to <see cref="MaxLimit"/>; <see langword="null"/> (the default)
    /// for all. Reading the top users or keys this way costs a store far less than reading them all.
    /// </summary>
    public int? Top { get; init; }

    /// <summary>Checks the query.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"{nameof(Limit)} must be from 1 to {MaxLimit}.");
        }

        if (Top is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(Top), Top, $"{nameof(Top)} must be from 1 to {MaxLimit}, or null for every group.");
        }

        if (From is { } from && To is { } to && to < from)
        {
            throw new ArgumentException($"{nameof(To)} ({to:O}) is before {nameof(From)} ({from:O}).", nameof(To));
        }

        if (After < 0 || Before < 0)
        {
            throw new ArgumentOutOfRangeException(After < 0 ? nameof(After) : nameof(Before), "A sequence is never negative.");
        }

        if (Outcome is { } outcome && !Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(Outcome), outcome, "Unknown outcome.");
        }

        if ((Marks & ~(BudgetSpendMarks.Reduced | BudgetSpendMarks.Downgraded | BudgetSpendMarks.WouldRefuse)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Marks), Marks, "Unknown marks.");
        }
    }

    /// <summary>Gets a value indicating whether a record passes every filter of the query (not the paging).</summary>
    /// <param name="record">The record.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(BudgetSpendRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (From is not { } from || record.Time >= from)
            && (To is not { } to || record.Time < to)
            && (User is null || string.Equals(record.User, User, StringComparison.Ordinal))
            && (Key is null || record.Keys.Contains(Key, StringComparer.Ordinal))
            && (Model is null || string.Equals(record.Model, Model, StringComparison.Ordinal))
            && (Outcome is not { } outcome || record.Outcome == outcome)
            && (record.Marks & Marks) == Marks
            && (After is not { } after || record.Sequence > after)
            && (Before is not { } before || record.Sequence < before);
    }
}
