namespace BudgetChat;

/// <summary>Keeps budgets and the money held and spent against them.</summary>
/// <remarks>
/// <para>
/// A budget belongs to a key (for example <c>user:1234</c> or <c>global</c>) inside a project; projects never see
/// each other's budgets. Money is <see cref="decimal"/> US dollars.
/// </para>
/// <para>The contract every implementation keeps (checked by the conformance test suite):</para>
/// <list type="bullet">
/// <item><description><see cref="ReserveAsync"/> is atomic across all keys: every key holds the amount or none does, and
/// concurrent reservations never admit more than a limit.</description></item>
/// <item><description>Every operation is idempotent by id, like Stripe's idempotency keys: repeating it with the same id and the
/// same parameters changes nothing and answers what the first call did (<see cref="BudgetReservationStatus.Reserved"/>,
/// <see cref="BudgetCompletionStatus.AlreadyCompleted"/>), so retries cannot charge twice; reusing an id for anything else
/// (another amount, cost or keys, a settle after a release, a charge with a reservation's id) is a conflict
/// (<see cref="BudgetReservationStatus.Conflict"/>, <see cref="BudgetCompletionStatus.Conflict"/>, with a
/// <see cref="BudgetConflict"/> saying what the id is) and changes nothing. <see cref="Stores.BudgetIdRules"/> holds these rules.</description></item>
/// <item><description>Amounts are held at <see cref="Stores.BudgetAmounts.Scale"/> decimal places and are at most
/// <see cref="Stores.BudgetAmounts.Max"/>, so what is reserved and released returns to exactly zero; negative zero is zero.</description></item>
/// <item><description>A reservation not settled or released by its expiry is reclaimed; settling it later still charges the
/// actual cost, because the money was really spent.</description></item>
/// <item><description>Periodic budgets roll over lazily when touched and in <see cref="SweepAsync"/>.</description></item>
/// <item><description>A charge whose spend crosses one of the budget's <see cref="BudgetDefinition.AlertThresholds"/> reports a
/// <see cref="BudgetAlert"/> in its result, once per threshold per window, whichever process made the charge.</description></item>
/// </list>
/// <para>Implementations are thread-safe.</para>
/// </remarks>
public interface IBudgetStore
{
    /// <summary>Gets a budget.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget's key.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget, or <see langword="null"/> when the key has none.</returns>
    ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default);

    /// <summary>Creates a budget, or changes the definition of an existing one keeping what it has spent.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget's key.</param>
    /// <param name="definition">The limit and period.</param>
    /// <param name="createdAt">
    /// When the budget counts from: its creation time when new, and the start its rolling windows are counted from (in
    /// LiteLLM's terms, <c>created_at</c> of a new budget and <c>last_updated_at</c>, the window start, of an existing
    /// one). <see langword="null"/> for now when new, and to keep the existing start otherwise.
    /// </param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget after the change.</returns>
    ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a budget unless the key has one already; exactly one of several concurrent callers creates it.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget's key.</param>
    /// <param name="definition">The limit and period used when the budget is created.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The existing budget, or the new one.</returns>
    ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Deletes a budget with its spend.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget's key.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when a budget was deleted.</returns>
    ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default);

    /// <summary>Lists the budgets of a project, ordered by key.</summary>
    /// <param name="project">The project.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budgets.</returns>
    ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a project's budgets, searched and ordered, with totals over all of them.</summary>
    /// <param name="project">The project.</param>
    /// <param name="query">The page, order and search.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentException"><paramref name="project"/> or <paramref name="query"/> is not valid; the message names the value.</exception>
    /// <remarks>
    /// By default this lists every budget (<see cref="ListBudgetsAsync(string, CancellationToken)"/>) and picks the page;
    /// the stores that keep a <see cref="Stores.BudgetLedger"/> pick it from the ledger and make states only for the page.
    /// </remarks>
    async ValueTask<BudgetListPage> ListBudgetsAsync(string project, BudgetListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return Stores.BudgetListSelector.Select(await ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false), query);
    }

    /// <summary>Holds <paramref name="amount"/> on every limit of every key that applies to it, or on none when one of them cannot hold it.</summary>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys to hold the amount on; at least one, no duplicates.</param>
    /// <param name="amount">
    /// The worst-case cost in US dollars (a <see cref="decimal"/> converts), the worst-case tokens for token limits, and the
    /// model for per-model caps; request limits count the reservation as one request. With <see cref="BudgetUsage.Observe"/>
    /// it is held even where a limit refuses, and the result says which (<see cref="BudgetReservationResult.WouldHaveRefused"/>),
    /// as for a budget whose <see cref="BudgetDefinition.Enforcement"/> is <see cref="BudgetEnforcement.Observe"/>.
    /// </param>
    /// <param name="reservationId">
    /// An id chosen by the caller, unique within the project. Reserving an id that is already active with the same amount
    /// and keys changes nothing and reports <see cref="BudgetReservationStatus.Reserved"/>; any other reuse reports
    /// <see cref="BudgetReservationStatus.Conflict"/>.
    /// </param>
    /// <param name="expiresAt">When the reservation is reclaimed if it has been neither settled nor released.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Whether the amount is held, and if not, which key and limit refused or what the id is already used for.</returns>
    ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Ends a reservation, charging <paramref name="actualCost"/> to each of its keys instead of the amount held.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="actualCost">
    /// What the call really cost in US dollars (it may exceed the amount held), its tokens as reported, and the model the
    /// cost is recorded against (<see langword="null"/> for none; per-model caps then count the reservation's model).
    /// </param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// Whether this call charged, an earlier settle with the same cost and tokens did, the id is unknown, or it conflicts
    /// (the reservation was released or settled with another cost, or the id is a charge's); and the alert thresholds the charge crossed.
    /// </returns>
    ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default);

    /// <summary>Ends a reservation without charging anything.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Whether this call released, an earlier release did, the id is unknown, or it conflicts (the reservation was settled, or the id is a charge's).</returns>
    ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves an active reservation's expiry to <paramref name="expiresAt"/> (never earlier than it was), so that a call that
    /// outlives its reservation timeout keeps its hold, the way a lock's lease is renewed. Renewing again changes nothing more.
    /// </summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="expiresAt">The new expiry.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Whether the hold was extended, or why not: it expired already, it ended, or the id is unknown.</returns>
    ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Charges <paramref name="amount"/> to every key without a reservation, even past a limit.</summary>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys to charge; at least one, no duplicates.</param>
    /// <param name="amount">The cost in US dollars, the tokens, and the model it is recorded against (or <see langword="null"/>); request limits count one request.</param>
    /// <param name="chargeId">An id chosen by the caller; charging the same id twice charges once.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// Whether this call charged, an earlier charge with the same id, keys and amount did, or the id conflicts (it is a
    /// reservation's, or another charge's); and the alert thresholds the charge crossed.
    /// </returns>
    /// <exception cref="BudgetNotFoundException">A key has no budget; nothing was charged.</exception>
    ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default);

    /// <summary>Sets a budget's spend to zero and starts a new window now (rolling) or in the current calendar window.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget's key.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget after the reset, or <see langword="null"/> when the key has none.</returns>
    ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default);

    /// <summary>Rolls over every budget whose window has ended and reclaims every expired reservation, in all projects.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many budgets rolled over.</returns>
    ValueTask<int> SweepAsync(CancellationToken cancellationToken = default);
}
