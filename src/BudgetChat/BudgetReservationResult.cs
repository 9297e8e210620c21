namespace BudgetChat;

/// <summary>The outcome of <see cref="IBudgetStore.ReserveAsync"/>: reserved, or why not.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed class BudgetReservationResult
{
    private BudgetReservationResult(BudgetReservationStatus status, string? key, BudgetState? budget, BudgetConflict conflict = BudgetConflict.None, BudgetWindowState? window = null)
    {
        Status = status;
        Key = key;
        Budget = budget;
        Conflict = conflict;
        Window = window ?? budget?.Windows[0];
    }

    /// <summary>Gets the result for a reservation that every key holds.</summary>
    public static BudgetReservationResult Reserved { get; } = new(BudgetReservationStatus.Reserved, null, null);

    /// <summary>Gets the outcome.</summary>
    public BudgetReservationStatus Status { get; }

    /// <summary>Gets a value indicating whether every key holds the amount.</summary>
    public bool IsReserved => Status == BudgetReservationStatus.Reserved;

    /// <summary>
    /// Gets the key that refused, or <see langword="null"/> when reserved; when reserved despite a refusal
    /// (<see cref="WouldHaveRefused"/>), the key that would have refused.
    /// </summary>
    public string? Key { get; }

    /// <summary>
    /// Gets the limit and window of <see cref="Budget"/> that refused (or would have), or <see langword="null"/>: of those
    /// that do not fit, the one whose window lasts longest, so that its end is when the call could fit again.
    /// </summary>
    public BudgetWindowState? Window { get; }

    /// <summary>
    /// Gets a value indicating that the amount is held although a limit would have refused it, because the budget (or the
    /// reservation) only observes (<see cref="BudgetEnforcement.Observe"/>); <see cref="Key"/>, <see cref="Budget"/> and
    /// <see cref="Window"/> name the limit.
    /// </summary>
    public bool WouldHaveRefused => Status == BudgetReservationStatus.Reserved && Budget is not null;

    /// <summary>Gets what the id is already used for, for <see cref="BudgetReservationStatus.Conflict"/>; otherwise <see cref="BudgetConflict.None"/>.</summary>
    public BudgetConflict Conflict { get; }

    /// <summary>
    /// Gets the budget that refused for <see cref="BudgetReservationStatus.InsufficientBudget"/> (the one whose refusing
    /// limit lasts longest, see <see cref="Window"/>), as it was when the reservation was refused; or the one that would have
    /// refused, when <see cref="WouldHaveRefused"/>.
    /// </summary>
    public BudgetState? Budget { get; }

    /// <summary>Creates a result saying that the main limit of <paramref name="budget"/> cannot hold the amount.</summary>
    /// <param name="budget">The budget that refused.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult Insufficient(BudgetState budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return new(BudgetReservationStatus.InsufficientBudget, budget.Key, budget);
    }

    /// <summary>Creates a result saying that <paramref name="window"/> of <paramref name="budget"/> cannot hold the amount.</summary>
    /// <param name="budget">The budget that refused.</param>
    /// <param name="window">The limit that refused, one of <see cref="BudgetState.Windows"/>.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult Insufficient(BudgetState budget, BudgetWindowState window)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(window);
        return new(BudgetReservationStatus.InsufficientBudget, budget.Key, budget, window: window);
    }

    /// <summary>Creates a result saying that the amount is held, although <paramref name="window"/> of <paramref name="budget"/> would have refused it (observe mode).</summary>
    /// <param name="budget">The budget that would have refused.</param>
    /// <param name="window">The limit that would have refused, one of <see cref="BudgetState.Windows"/>.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult ReservedDespite(BudgetState budget, BudgetWindowState window)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(window);
        return new(BudgetReservationStatus.Reserved, budget.Key, budget, window: window);
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
