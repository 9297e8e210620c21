namespace BudgetChat.Tests;

/// <summary>
/// A store that forwards to a real one, or throws as an unreachable budget service does while <see cref="Down"/>.
/// When <c>asynchronous</c>, every call completes (or fails) only after yielding, as a store over the network does, so
/// the middleware takes its awaiting paths rather than the ones for a store that answers at once.
/// </summary>
public sealed class OutageStore(IBudgetStore inner, bool asynchronous = false) : IBudgetStore
{
    private volatile bool _down;
    private int _calls;

    /// <summary>Gets how many operations were asked of the store, down or not.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    public ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default) =>
        Call(s => s.GetBudgetAsync(project, key, cancellationToken));

    public ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default) =>
        Call(s => s.SetBudgetAsync(project, key, definition, createdAt, cancellationToken));

    public ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default) =>
        Call(s => s.GetOrCreateBudgetAsync(project, key, definition, cancellationToken));

    public ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default) =>
        Call(s => s.DeleteBudgetAsync(project, key, cancellationToken));

    public ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default) =>
        Call(s => s.ListBudgetsAsync(project, cancellationToken));

    public ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        Call(s => s.ReserveAsync(project, keys, amount, reservationId, expiresAt, cancellationToken));

    public ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default) =>
        Call(s => s.SettleAsync(project, reservationId, actualCost, cancellationToken));

    public ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        Call(s => s.RenewAsync(project, reservationId, expiresAt, cancellationToken));

    public ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default) =>
        Call(s => s.ReleaseAsync(project, reservationId, cancellationToken));

    public ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default) =>
        Call(s => s.ChargeAsync(project, keys, amount, chargeId, cancellationToken));

    public ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default) =>
        Call(s => s.ResetBudgetAsync(project, key, cancellationToken));

    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => Call(s => s.SweepAsync(cancellationToken));

    private ValueTask<T> Call<T>(Func<IBudgetStore, ValueTask<T>> operation) => asynchronous ? CallLaterAsync(operation) : operation(Up());

    private async ValueTask<T> CallLaterAsync<T>(Func<IBudgetStore, ValueTask<T>> operation)
    {
        await Task.Yield();
        return await operation(Up());
    }

    private IBudgetStore Up()
    {
        Interlocked.Increment(ref _calls);
        return _down ? throw new BudgetStoreUnavailableException("The budget service at http://127.0.0.1:9 cannot be reached.") : inner;
    }
}
