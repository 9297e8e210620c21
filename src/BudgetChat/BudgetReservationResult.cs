namespace BudgetChat;

/// <summary>The outcome of <see cref="IBudgetStore.ReserveAsync"/>: reserved, or why not.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed class BudgetReservationResult
{
    private BudgetReservationResult(BudgetReservationStatus status, string? key, BudgetState? budget, BudgetConflict conflict = BudgetConflict.None)
    {
        Status = status;
        Key = key;
        Budget = budget;
        Conflict = conflict;
    }

    /// <summary>Gets the result for a reservation that every key holds.</summary>
    public static BudgetReservationResult Reserved { get; } = new(BudgetReservationStatus.Reserved, null, null);

    /// <summary>Gets the outcome.</summary>
    public BudgetReservationStatus Status { get; }

    /// <summary>Gets a value indicating whether every key holds the amount.</summary>
    public bool IsReserved => Status == BudgetReservationStatus.Reserved;

    /// <summary>Gets the key that refused, or <see langword="null"/> when reserved.</summary>
    public string? Key { get; }

    /// <summary>Gets what the id is already used for, for <see cref="BudgetReservationStatus.Conflict"/>; otherwise <see cref="BudgetConflict.None"/>.</summary>
    public BudgetConflict Conflict { get; }

    /// <summary>
    /// Gets the budget that refused for <see cref="BudgetReservationStatus.InsufficientBudget"/>: the one of the
    /// requested keys with the least remaining, as it was when the reservation was refused.
    /// </summary>
    public BudgetState? Budget { get; }

    /// <summary>Creates a result saying that <paramref name="budget"/> cannot hold the amount.</summary>
    /// <param name="budget">The budget with the least remaining among the requested keys.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult Insufficient(BudgetState budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return new(BudgetReservationStatus.InsufficientBudget, budget.Key, budget);
    }

    /// <summary>Creates a result saying that <paramref name="key"/> has no budget.</summary>
    /// <param name="key">The key without a budget.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult NotFound(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return new(BudgetReservationStatus.BudgetNotFound, key, null);
    }

    /// <summary>Creates a result saying that the reservation id is already used for something else; nothing was reserved.</summary>
    /// <param name="conflict">What the id is used for.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="conflict"/> is <see cref="BudgetConflict.None"/> or undefined.</exception>
    public static BudgetReservationResult Conflicting(BudgetConflict conflict) =>
        conflict != BudgetConflict.None && Enum.IsDefined(conflict)
            ? new(BudgetReservationStatus.Conflict, null, null, conflict)
            : throw new ArgumentOutOfRangeException(nameof(conflict), conflict, "A conflict names what the id is used for.");
}
