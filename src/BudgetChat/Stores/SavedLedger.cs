namespace BudgetChat.Stores;

/// <summary>
/// Everything a <see cref="BudgetLedger"/> holds, as <see cref="BudgetLedger.Export"/> returns it: the reservations in
/// every state (an ended one with how it ended), and <see cref="ForgetQueue"/>, which lists the ids to forget in the order
/// the ledger forgets them (an id reclaimed and later settled appears twice).
/// </summary>
/// <param name="Budgets">The budgets, ordered by key.</param>
/// <param name="Reservations">The reservations and charges the ledger knows, active, reclaimed or ended.</param>
/// <param name="ForgetQueue">The remembered ids with when each is forgotten, in the ledger's order.</param>
public sealed record SavedLedger(IReadOnlyList<BudgetRecord> Budgets, IReadOnlyList<ReservationRecord> Reservations, IReadOnlyList<(string Id, DateTimeOffset ForgetAt)> ForgetQueue);
