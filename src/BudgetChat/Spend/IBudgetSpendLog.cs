namespace BudgetChat;

/// <summary>
/// The spend ledger of a store: one record per call charged, estimated, refused or released, and per reset of a
/// budget's spend, kept beside the budgets (see <see cref="BudgetSpendRecord"/>).
/// </summary>
/// <remarks>
/// A store that implements it writes the record of every settle and charge with the charge, from
/// <see cref="BudgetUsage.Record"/>. Implementations are thread-safe.
/// </remarks>
public interface IBudgetSpendLog
{
    /// <summary>Appends the record of a call that changed no spend: a refusal or a release.</summary>
    /// <param name="project">The project.</param>
    /// <param name="record">
    /// The record; its <see cref="BudgetSpendRecord.Outcome"/> must be <see cref="BudgetSpendOutcome.Refused"/> or
    /// <see cref="BudgetSpendOutcome.Released"/>, and its <see cref="BudgetSpendRecord.Cost"/> 0. The store assigns its
    /// <see cref="BudgetSpendRecord.Sequence"/>, and its <see cref="BudgetSpendRecord.Time"/> when it is the default.
    /// </param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the record is stored.</returns>
    ValueTask AppendSpendAsync(string project, BudgetSpendRecord record, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of records.</summary>
    /// <param name="project">The project.</param>
    /// <param name="query">The range, filters and page.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The page.</returns>
    ValueTask<BudgetSpendPage> QuerySpendAsync(string project, BudgetSpendQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds up the records that match a query, grouped: every filter applies, <see cref="BudgetSpendQuery.After"/> and
    /// <see cref="BudgetSpendQuery.Before"/> too; <see cref="BudgetSpendQuery.Limit"/> and
    /// <see cref="BudgetSpendQuery.OldestFirst"/> are ignored, and <see cref="BudgetSpendQuery.Top"/> keeps the first groups
    /// only (<see cref="Stores.BudgetSpendGroupOrder"/> orders and cuts them for a store that adds them up itself).
    /// </summary>
    /// <param name="project">The project.</param>
    /// <param name="query">The range and filters.</param>
    /// <param name="grouping">How to group.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The groups, by cost (highest first) for users, models, keys and outcomes, and in time order for days and hours.</returns>
    ValueTask<IReadOnlyList<BudgetSpendGroup>> GroupSpendAsync(string project, BudgetSpendQuery query, BudgetSpendGrouping grouping, CancellationToken cancellationToken = default);

    /// <summary>Deletes every record older than <paramref name="before"/>, in all projects (the retention the reset service enforces).</summary>
    /// <param name="before">The time records must be at or after to stay.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many records were deleted.</returns>
    ValueTask<long> PruneSpendAsync(DateTimeOffset before, CancellationToken cancellationToken = default);
}
