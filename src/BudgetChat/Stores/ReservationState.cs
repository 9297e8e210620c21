namespace BudgetChat.Stores;

/// <summary>Where a reservation id is in its life, as <see cref="BudgetLedger"/> exports it.</summary>
public enum ReservationState
{
    /// <summary>The reservation holds its amount on its budgets.</summary>
    Active,

    /// <summary>The reservation expired and its amount was given back; settling it later still charges.</summary>
    Reclaimed,

    /// <summary>The reservation was settled or released (or the id charged): only the id is remembered.</summary>
    Completed,
}
