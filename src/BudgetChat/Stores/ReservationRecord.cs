namespace BudgetChat.Stores;

/// <summary>
/// A reservation or charge as a persistent store saves it: one that is active or was reclaimed, or an ended id
/// remembered with how it ended (a settled or released reservation without its keys, a charge with them).
/// </summary>
/// <param name="Id">The reservation or charge id.</param>
/// <param name="State">Where the reservation is in its life.</param>
/// <param name="Keys">The keys it was reserved on, in order.</param>
/// <param name="Holds">Per key, whether it still holds on the budget now under that key (false once that budget was deleted or re-created).</param>
/// <param name="Amount">The amount held, in US dollars; the cost charged once settled, the amount charged for a charge.</param>
/// <param name="ExpiresAt">When the reservation is reclaimed if neither settled nor released.</param>
/// <param name="Tokens">The tokens held (or charged, once settled), for token limits.</param>
/// <param name="Model">The model the reservation was made for (per-model caps hold on it), or <see langword="null"/>; not kept once it ended.</param>
public sealed record ReservationRecord(string Id, ReservationState State, IReadOnlyList<string> Keys, IReadOnlyList<bool> Holds, decimal Amount, DateTimeOffset ExpiresAt, long Tokens = 0, string? Model = null);
