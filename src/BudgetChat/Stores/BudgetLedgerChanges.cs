namespace BudgetChat.Stores;

/// <summary>The budget keys and reservation ids whose records a <see cref="BudgetLedger"/> changed since the set was last cleared.</summary>
/// <remarks>A store that persists a ledger writes only these records after each operation. Not thread-safe, like the ledger.</remarks>
public sealed class BudgetLedgerChanges
{
    /// <summary>Gets the keys of the budgets that changed.</summary>
    public HashSet<string> Budgets { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the reservation and charge ids whose records changed (or were forgotten).</summary>
    public HashSet<string> Reservations { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets a value indicating whether nothing changed.</summary>
    public bool IsEmpty => Budgets.Count == 0 && Reservations.Count == 0;

    /// <summary>Forgets every change recorded so far.</summary>
    public void Clear()
    {
        Budgets.Clear();
        Reservations.Clear();
    }
}
