namespace BudgetChat;

/// <summary>
/// Keeps a <see cref="BudgetOutbox"/>'s entries where a restart of the process does not lose them, for example
/// <c>SqliteBudgetOutboxStorage</c> (package BudgetChat.Sqlite, <c>AddSqliteBudgetOutbox</c>).
/// </summary>
/// <remarks>
/// An entry is identified by its project and id; saving one that is already there keeps the first. Implementations
/// must be thread-safe, and must have made an entry durable when <see cref="SaveAsync"/> completes.
/// </remarks>
public interface IBudgetOutboxStorage
{
    /// <summary>Saves an entry, unless one with its project and id is already saved.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the entry is durable.</returns>
    ValueTask SaveAsync(BudgetOutboxEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry with this project and id, if there is one: the store took it.</summary>
    /// <param name="project">The entry's project.</param>
    /// <param name="id">The entry's id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the entry is gone.</returns>
    ValueTask RemoveAsync(string project, string id, CancellationToken cancellationToken = default);

    /// <summary>Reads every saved entry, oldest first: those a previous process left.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The entries.</returns>
    ValueTask<IReadOnlyList<BudgetOutboxEntry>> LoadAsync(CancellationToken cancellationToken = default);
}
