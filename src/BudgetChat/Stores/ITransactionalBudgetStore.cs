namespace BudgetChat.Stores;

/// <summary>
/// A store that can apply several ledger operations to one project as one transaction: all of them are stored, or none.
/// </summary>
/// <remarks>
/// For requests that change many budgets at once and must never be seen (or survive a crash) half done, such as LiteLLM's
/// <c>/set_budget</c>, which replaces a project's whole user dict. <see cref="InMemoryBudgetStore"/> and
/// <c>SqliteBudgetStore</c> implement it; a remote store such as <c>HostedBudgetStore</c> cannot.
/// </remarks>
public interface ITransactionalBudgetStore : IBudgetStore
{
    /// <summary>
    /// Runs <paramref name="update"/> on the project's ledger while no other operation can change the project, and stores
    /// everything it changed in one transaction.
    /// </summary>
    /// <typeparam name="TState">What <paramref name="update"/> needs, passed through so it can be a static lambda.</typeparam>
    /// <typeparam name="TResult">What <paramref name="update"/> returns.</typeparam>
    /// <param name="project">The project.</param>
    /// <param name="state">Passed to <paramref name="update"/>.</param>
    /// <param name="update">
    /// Reads and changes the ledger through its operations; the third argument is the store's current time. It runs
    /// synchronously, under the store's lock, so it must not block or call the store.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for the store; once <paramref name="update"/> runs it is not cancelled.</param>
    /// <returns>What <paramref name="update"/> returned, once its changes are stored.</returns>
    /// <exception cref="ArgumentException"><paramref name="project"/> is not valid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="update"/> is <see langword="null"/>.</exception>
    /// <remarks>When <paramref name="update"/> throws, nothing it changed is stored and the exception is rethrown.</remarks>
    ValueTask<TResult> UpdateProjectAsync<TState, TResult>(
        string project, TState state, Func<BudgetLedger, TState, DateTimeOffset, TResult> update, CancellationToken cancellationToken = default);
}
