namespace BudgetChat;

/// <summary>The outcome of <see cref="IBudgetStore.RenewAsync"/>.</summary>
public enum BudgetRenewalStatus
{
    /// <summary>The reservation still holds its amount, now until the new expiry (or a later one it already had).</summary>
    Renewed = 0,

    /// <summary>The reservation expired before the renewal and its amount was given back; settling it still charges.</summary>
    Expired,

    /// <summary>The reservation was settled or released (or the id is a charge's): there is nothing to renew.</summary>
    Ended,

    /// <summary>No reservation with that id is known (never made, or forgotten after its retention).</summary>
    NotFound,
}
