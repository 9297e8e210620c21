namespace BudgetChat;

/// <summary>
/// Money held on budgets for one call: acquired or refused, then settled to what the call really cost, or released
/// (by <see cref="ReleaseAsync"/> or on dispose) when it cost nothing.
/// </summary>
/// <remarks>
/// <para>
/// Shaped like <c>System.Threading.RateLimiting.RateLimitLease</c>: <see cref="IsAcquired"/> says whether the money is
/// held, and a refused lease says why (<see cref="Status"/>, <see cref="RefusingKey"/>, <see cref="RefusingBudget"/>).
/// Get one with <see cref="AcquireAsync"/>, which reserves on every key at once or on none. Unlike a rate-limit
/// permit, the money is not simply returned: <see cref="SettleAsync(BudgetUsage, CancellationToken)"/> charges the actual cost instead of the amount held.
/// </para>
/// <para>
/// A lease ends once: settling or releasing a lease that has ended throws or changes nothing, as each method says, and
/// a settle that fails (the store cannot be reached) may be tried again. Disposing a lease that has not ended
/// releases it. This type is thread-safe.
/// </para>
/// </remarks>
public abstract class BudgetLease : IAsyncDisposable
{
    private const int Held = 0;
    private const int Ended = 1;

    // A settle that failed: it may be tried again, and dispose leaves the reservation to the store's expiry rather
    // than release money that was really spent.
    private const int SettleFailed = 2;

    private int _state;

    // The store's answer: a refusal, or a reservation made although a limit would have refused (observe mode).
    private readonly BudgetReservationResult? _result;

    private BudgetLease(IBudgetStore store, string project, IReadOnlyList<string> keys, BudgetUsage usage, string id, BudgetReservationResult? result)
    {
        Store = store;
        Project = project;
        Keys = keys;
        Usage = usage;
        Id = id;
        _result = result;
    }

    /// <summary>Gets a value indicating whether the lease holds what it asked for (or, for a call admitted without a reservation, may go ahead).</summary>
    public abstract bool IsAcquired { get; }

    /// <summary>Gets the outcome of the reservation: <see cref="BudgetReservationStatus.Reserved"/> for an acquired lease, else why it was refused.</summary>
    public abstract BudgetReservationStatus Status { get; }

    /// <summary>Gets the key that refused (or, when <see cref="WouldHaveRefused"/>, would have), or <see langword="null"/>.</summary>
    public string? RefusingKey => _result?.Key;

    /// <summary>
    /// Gets the budget that could not hold <see cref="Usage"/>, as it was then (its limits, spend, reservations and when its
    /// windows reset), for <see cref="BudgetReservationStatus.InsufficientBudget"/> or when <see cref="WouldHaveRefused"/>;
    /// otherwise <see langword="null"/>.
    /// </summary>
    public BudgetState? RefusingBudget => _result?.Budget;

    /// <summary>Gets the limit of <see cref="RefusingBudget"/> that refused (or would have) and its window, or <see langword="null"/>.</summary>
    public BudgetWindowState? RefusingWindow => _result?.Budget is null ? null : _result.Window;

    /// <summary>
    /// Gets a value indicating that the lease is acquired although a limit would have refused it, because the budget or the
    /// reservation only observes (<see cref="BudgetEnforcement.Observe"/>); <see cref="RefusingKey"/>,
    /// <see cref="RefusingBudget"/> and <see cref="RefusingWindow"/> name the limit.
    /// </summary>
    public bool WouldHaveRefused => _result?.WouldHaveRefused == true;

    /// <summary>Gets what the reservation id is already used for, for <see cref="BudgetReservationStatus.Conflict"/>; otherwise <see cref="BudgetConflict.None"/>.</summary>
    public BudgetConflict Conflict => _result?.Conflict ?? BudgetConflict.None;

    /// <summary>Gets the project of the budgets.</summary>
    public string Project { get; }

    /// <summary>Gets the keys the amount is held on, and the actual cost charged to.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Gets the amount asked for, in US dollars.</summary>
    public decimal Amount => Usage.Cost;

    /// <summary>Gets what was asked for: the cost in US dollars, the tokens, and the model.</summary>
    public BudgetUsage Usage { get; }

    /// <summary>Gets the reservation's id, by which the store settles or releases it.</summary>
    public string Id { get; }

    /// <summary>Gets a value indicating whether the store holds <see cref="Amount"/> under <see cref="Id"/>, rather than the lease holding nothing.</summary>
    internal abstract bool HoldsReservation { get; }

    private protected IBudgetStore Store { get; }

    /// <summary>Reserves <paramref name="amount"/> on every limit of every key that applies to it, or on none when one of them cannot hold it.</summary>
    /// <param name="store">The store that keeps the budgets.</param>
    /// <param name="project">The project of the budgets.</param>
    /// <param name="keys">The keys to hold the amount on; at least one, no duplicates. The lease keeps this list: do not change it.</param>
    /// <param name="amount">The amount, in US dollars: the most the call can cost.</param>
    /// <param name="expiresAfter">How long the store holds the amount if the lease is neither settled nor released (the process died, say).</param>
    /// <param name="timeProvider">The clock the expiry is counted from, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="reservationId">
    /// The reservation's id, unique within the project (so that a retry after a lost answer is recognised), or
    /// <see langword="null"/> for a new random one.
    /// </param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>An acquired lease, or a refused one that says which budget refused and why; dispose either.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="BudgetStoreUnavailableException">The store cannot be reached; nothing is held.</exception>
    public static async ValueTask<BudgetLease> AcquireAsync(
        IBudgetStore store,
        string project,
        IReadOnlyList<string> keys,
        BudgetUsage amount,
        TimeSpan expiresAfter,
        TimeProvider? timeProvider = null,
        string? reservationId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfZero(keys.Count, nameof(keys));
        ArgumentOutOfRangeException.ThrowIfNegative(amount.Cost, nameof(amount));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiresAfter, TimeSpan.Zero);
        if (reservationId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(reservationId);
        }

        string id = reservationId ?? NewId();
        DateTimeOffset expiresAt = (timeProvider ?? TimeProvider.System).GetUtcNow() + expiresAfter;
        BudgetReservationResult result = await store.ReserveAsync(project, keys, amount, id, expiresAt, cancellationToken).ConfigureAwait(false);
        return result.IsReserved
            ? new ReservationLease(store, project, keys, amount, id, result.WouldHaveRefused ? result : null)
            : new RefusedLease(store, project, keys, amount, id, result);
    }

    /// <summary>
    /// Creates a lease that holds nothing and charges the actual cost when settled: for a call admitted by a check of
    /// spend (check-then-charge) or without any check because the store could not be reached (fail open).
    /// </summary>
    internal static BudgetLease Unreserved(IBudgetStore store, string project, IReadOnlyList<string> keys, BudgetUsage estimate, string chargeId) =>
        new ChargeLease(store, project, keys, estimate, chargeId);

    /// <summary>Ends the lease, charging <paramref name="actualCost"/> to every key instead of the amount held.</summary>
    /// <param name="actualCost">What the call really cost, in US dollars; it may exceed <see cref="Amount"/>.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The store's outcome, with the alert thresholds the charge crossed.</returns>
    /// <exception cref="InvalidOperationException">The lease was not acquired, or has been settled or released.</exception>
    /// <exception cref="BudgetStoreUnavailableException">The store cannot be reached; the settle may be tried again.</exception>
    public ValueTask<BudgetCompletion> SettleAsync(decimal actualCost, string? model = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        return SettleAsync(new BudgetUsage(actualCost, 0, model), cancellationToken);
    }

    /// <summary>Ends the lease, charging <paramref name="actualCost"/> (cost, tokens as reported, model) to every key instead of what was held.</summary>
    /// <param name="actualCost">What the call really cost, in US dollars (it may exceed <see cref="Amount"/>), its tokens, and the model it is recorded against.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The store's outcome, with the alert thresholds the charge crossed.</returns>
    /// <exception cref="InvalidOperationException">The lease was not acquired, or has been settled or released.</exception>
    /// <exception cref="BudgetStoreUnavailableException">The store cannot be reached; the settle may be tried again.</exception>
    public async ValueTask<BudgetCompletion> SettleAsync(BudgetUsage actualCost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost.Cost, nameof(actualCost));
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost.Tokens, nameof(actualCost));
        if (!IsAcquired)
        {
            throw new InvalidOperationException($"The lease was refused by budget '{RefusingKey}' and holds nothing to settle.");
        }

        int previous = Interlocked.Exchange(ref _state, Ended);
        if (previous == Ended)
        {
            throw new InvalidOperationException($"Lease '{Id}' has already been settled or released.");
        }

        try
        {
            return await SettleCoreAsync(actualCost, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _state, SettleFailed);
            throw;
        }
    }

    /// <summary>
    /// Keeps the money held for <paramref name="expiresAfter"/> from now, for a call that outlives the expiry it was
    /// acquired with (a long stream, a slow model), the way a lock's lease is renewed. Renew well before the expiry.
    /// </summary>
    /// <param name="expiresAfter">How long from now the store holds the amount if the lease is neither settled nor released.</param>
    /// <param name="timeProvider">The clock the expiry is counted from, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// <see cref="BudgetRenewalStatus.Renewed"/>, or why not: <see cref="BudgetRenewalStatus.Expired"/> (the money was given back;
    /// settling still charges), <see cref="BudgetRenewalStatus.Ended"/> (the lease was settled or released). A lease that holds
    /// nothing (admitted without a reservation) has nothing to renew and reports <see cref="BudgetRenewalStatus.Renewed"/>.
    /// </returns>
    /// <exception cref="InvalidOperationException">The lease was not acquired.</exception>
    /// <exception cref="BudgetStoreUnavailableException">The store cannot be reached; try again before the expiry.</exception>
    public ValueTask<BudgetRenewalStatus> RenewAsync(TimeSpan expiresAfter, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiresAfter, TimeSpan.Zero);
        if (!IsAcquired)
        {
            throw new InvalidOperationException($"The lease was refused by budget '{RefusingKey}' and holds nothing to renew.");
        }

        if (Volatile.Read(ref _state) != Held)
        {
            return ValueTask.FromResult(BudgetRenewalStatus.Ended);
        }

        return HoldsReservation
            ? Store.RenewAsync(Project, Id, (timeProvider ?? TimeProvider.System).GetUtcNow() + expiresAfter, cancellationToken)
            : ValueTask.FromResult(BudgetRenewalStatus.Renewed);
    }

    /// <summary>Ends the lease without charging anything: the call failed or was cancelled before it cost anything.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The store's outcome; <see cref="BudgetCompletion.AlreadyCompleted"/> when the lease had already ended.</returns>
    /// <exception cref="BudgetStoreUnavailableException">The store cannot be reached; the store reclaims the reservation when it expires.</exception>
    public ValueTask<BudgetCompletion> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        int previous = Interlocked.Exchange(ref _state, Ended);
        return previous == Ended ? ValueTask.FromResult(BudgetCompletion.AlreadyCompleted) : ReleaseCoreAsync(cancellationToken);
    }

    /// <summary>Releases the lease unless it has ended; a store that cannot be reached reclaims the reservation when it expires.</summary>
    /// <returns>A task that completes when the lease has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (Interlocked.CompareExchange(ref _state, Ended, Held) != Held)
        {
            return;
        }

        try
        {
            await ReleaseCoreAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Disposal runs in finally blocks, where a caller's own exception matters more; the reservation expires.
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private protected abstract ValueTask<BudgetCompletion> SettleCoreAsync(BudgetUsage actualCost, CancellationToken cancellationToken);

    private protected abstract ValueTask<BudgetCompletion> ReleaseCoreAsync(CancellationToken cancellationToken);

    // The store holds the amount under Id.
    private sealed class ReservationLease(IBudgetStore store, string project, IReadOnlyList<string> keys, BudgetUsage amount, string id, BudgetReservationResult? observed)
        : BudgetLease(store, project, keys, amount, id, observed)
    {
        public override bool IsAcquired => true;

        public override BudgetReservationStatus Status => BudgetReservationStatus.Reserved;

        internal override bool HoldsReservation => true;

        private protected override ValueTask<BudgetCompletion> SettleCoreAsync(BudgetUsage actualCost, CancellationToken cancellationToken) =>
            Store.SettleAsync(Project, Id, actualCost, cancellationToken);

        private protected override ValueTask<BudgetCompletion> ReleaseCoreAsync(CancellationToken cancellationToken) =>
            Store.ReleaseAsync(Project, Id, cancellationToken);
    }

    // Nothing is held: settling charges the keys by id, releasing has nothing to do.
    private sealed class ChargeLease(IBudgetStore store, string project, IReadOnlyList<string> keys, BudgetUsage estimate, string id)
        : BudgetLease(store, project, keys, estimate, id, null)
    {
        public override bool IsAcquired => true;

        public override BudgetReservationStatus Status => BudgetReservationStatus.Reserved;

        internal override bool HoldsReservation => false;

        private protected override ValueTask<BudgetCompletion> SettleCoreAsync(BudgetUsage actualCost, CancellationToken cancellationToken) =>
            Store.ChargeAsync(Project, Keys, actualCost, Id, cancellationToken);

        private protected override ValueTask<BudgetCompletion> ReleaseCoreAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(BudgetCompletion.Completed);
    }

    // The store refused: nothing is held.
    private sealed class RefusedLease(IBudgetStore store, string project, IReadOnlyList<string> keys, BudgetUsage amount, string id, BudgetReservationResult refusal)
        : BudgetLease(store, project, keys, amount, id, refusal)
    {
        public override bool IsAcquired => false;

        public override BudgetReservationStatus Status => _result!.Status;

        internal override bool HoldsReservation => false;

        private protected override ValueTask<BudgetCompletion> SettleCoreAsync(BudgetUsage actualCost, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A refused lease holds nothing to settle.");

        private protected override ValueTask<BudgetCompletion> ReleaseCoreAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(BudgetCompletion.NotFound);
    }
}
