namespace BudgetChat.Stores;

/// <summary>
/// What a store answers when an operation names an id it already knows, so that every store answers the same (the
/// store contract, <see cref="IBudgetStore"/>): the same operation with the same parameters is a retry; anything else
/// is a <see cref="BudgetConflict"/>.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
public static class BudgetIdRules
{
    /// <summary>
    /// Decides a repeat: <paramref name="wanted"/> is what the operation would make of a new id (<see cref="ReservationState.Active"/>
    /// for a reserve, <see cref="ReservationState.Settled"/>, <see cref="ReservationState.Released"/> or
    /// <see cref="ReservationState.Charged"/>), <paramref name="existing"/> what the id is. Settling or releasing an active or
    /// expired reservation is not a repeat and is not decided here.
    /// </summary>
    /// <param name="existing">What the id is now.</param>
    /// <param name="wanted">What the operation makes of an id.</param>
    /// <param name="sameParameters">
    /// Whether the operation's parameters are those the id was used with: the same keys in the same order and amount for
    /// a reserve or a charge, the same cost for a settle (the model is not compared); always <see langword="true"/> for a release.
    /// </param>
    /// <returns><see cref="BudgetConflict.None"/> for a retry, which answers what the first call did and changes nothing; otherwise the conflict.</returns>
    public static BudgetConflict Repeat(ReservationState existing, ReservationState wanted, bool sameParameters)
    {
        if (existing == wanted && sameParameters)
        {
            return BudgetConflict.None;
        }

        // An id that ended before stores recorded how: a settle, release or charge retried is taken for a retry, as then.
        if (existing == ReservationState.Completed && wanted != ReservationState.Active)
        {
            return BudgetConflict.None;
        }

        return existing switch
        {
            ReservationState.Active => BudgetConflict.Reserved,
            ReservationState.Reclaimed => BudgetConflict.Expired,
            ReservationState.Settled => BudgetConflict.Settled,
            ReservationState.Released => BudgetConflict.Released,
            ReservationState.Charged => BudgetConflict.Charged,
            _ => BudgetConflict.Ended,
        };
    }

    /// <summary>The answer to a settle, release or charge that <see cref="Repeat"/> decided.</summary>
    /// <param name="conflict">What <see cref="Repeat"/> returned.</param>
    /// <returns><see cref="BudgetCompletion.AlreadyCompleted"/> for a retry, else the conflict.</returns>
    public static BudgetCompletion Completion(BudgetConflict conflict) =>
        conflict == BudgetConflict.None ? BudgetCompletion.AlreadyCompleted : BudgetCompletion.Conflicting(conflict);

    /// <summary>The answer to a reserve that <see cref="Repeat"/> decided.</summary>
    /// <param name="conflict">What <see cref="Repeat"/> returned.</param>
    /// <returns><see cref="BudgetReservationResult.Reserved"/> for a retry, else the conflict.</returns>
    public static BudgetReservationResult Reservation(BudgetConflict conflict) =>
        conflict == BudgetConflict.None ? BudgetReservationResult.Reserved : BudgetReservationResult.Conflicting(conflict);
}
