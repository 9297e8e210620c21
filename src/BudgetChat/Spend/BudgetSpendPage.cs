namespace BudgetChat;

/// <summary>A page of spend records.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed class BudgetSpendPage
{
    /// <summary>Initializes a new instance of the <see cref="BudgetSpendPage"/> class.</summary>
    /// <param name="records">The records, in the order the query asked for.</param>
    /// <param name="next">The sequence to read the next page from, or <see langword="null"/> when this page is the last.</param>
    public BudgetSpendPage(IReadOnlyList<BudgetSpendRecord> records, long? next)
    {
        ArgumentNullException.ThrowIfNull(records);
        Records = records;
        Next = next;
    }

    /// <summary>Gets the records.</summary>
    public IReadOnlyList<BudgetSpendRecord> Records { get; }

    /// <summary>
    /// Gets where the next page starts, or <see langword="null"/> when there is none: the
    /// <see cref="BudgetSpendQuery.Before"/> of a newest-first query, the <see cref="BudgetSpendQuery.After"/> of an
    /// oldest-first one.
    /// </summary>
    public long? Next { get; }
}
