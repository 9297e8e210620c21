namespace BudgetChat;

/// <summary>
/// What a reservation or charge id is already used for, when a call reuses it for something else (another operation,
/// or the same one with other parameters): the reason of a <see cref="BudgetReservationStatus.Conflict"/> or a
/// <see cref="BudgetCompletionStatus.Conflict"/>. The budget service answers these with HTTP 409.
/// </summary>
/// <remarks>
/// Ids work like Stripe's idempotency keys: repeating a call with the same id and the same parameters is a retry and
/// answers what the first call did; anything else with that id is a conflict and changes nothing.
/// </remarks>
public enum BudgetConflict
{
    /// <summary>No conflict.</summary>
    None = 0,

    /// <summary>The id is an active reservation (for a reserve: one of another amount or other keys).</summary>
    Reserved,

    /// <summary>The id is a reservation that expired and whose amount was given back; it can still be settled or released.</summary>
    Expired,

    /// <summary>The id is a reservation that was settled (for a settle: with another cost).</summary>
    Settled,

    /// <summary>The id is a reservation that was released: nothing was charged, and a settle cannot charge it now.</summary>
    Released,

    /// <summary>The id is a charge (for a charge: of another amount or other keys).</summary>
    Charged,

    /// <summary>The id ended in a store written by an earlier version, which did not record how.</summary>
    Ended,
}
