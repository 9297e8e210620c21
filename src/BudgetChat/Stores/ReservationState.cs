namespace BudgetChat.Stores;

/// <summary>Where a reservation id is in its life, as <see cref="BudgetLedger"/> exports it.</summary>
public enum ReservationState
{
    /// <summary>The reservation holds its amount on its budgets.</summary>
    Active,

    /// <summary>The reservation expired and its amount was given back; settling it later still charges.</summary>
    Reclaimed,

    /// <summary>The id ended in a store written by an earlier version, which did not record how (settled, released or charged).</summary>
    Completed,

    /// <summary>The reservation was settled; <see cref="ReservationRecord.Amount"/> is the cost charged.</summary>
    Settled,

    /// <summary>The reservation was released without charging.</summary>
    Released,

    /// <summary>The id is a charge made without a reservation; <see cref="ReservationRecord.Amount"/> is the amount charged.</summary>
    Charged,
}
