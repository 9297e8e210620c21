namespace BudgetChat;

/// <summary>
/// Checks that a store's spend ledger adds up to its budgets' spend: for each budget, the costs of the records that name
/// its key in its current window (from the last reset or adjustment in it, if any) sum to <see cref="BudgetState.Spent"/>.
/// </summary>
/// <remarks>
/// Works on any store through its public interfaces, so the same check runs in process, on a SQLite file and against the
/// budget service (<c>budgetchat verify</c>). A budget charged while it is read is read again, up to three times. Records
/// older than the store's retention are gone, so a window that started before it cannot balance. This type is thread-safe.
/// </remarks>
public static class BudgetSpendVerifier
{
    private const int Attempts = 3;
    private static readonly BudgetSpendOutcome[] CheckpointOutcomes = [BudgetSpendOutcome.Reset, BudgetSpendOutcome.Adjusted];

    /// <summary>Checks every budget of a project.</summary>
    /// <param name="store">The store that keeps the budgets.</param>
    /// <param name="log">Its spend ledger (usually the same object).</param>
    /// <param name="project">The project.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One check per budget, in key order.</returns>
    public static async Task<IReadOnlyList<BudgetSpendCheck>> VerifyAsync(IBudgetStore store, IBudgetSpendLog log, string project, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(log);
        var checks = new List<BudgetSpendCheck>();
        foreach (BudgetState budget in await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false))
        {
            checks.Add(await CheckAsync(store, log, project, budget, cancellationToken).ConfigureAwait(false));
        }

        return checks;
    }

    /// <summary>Checks one budget.</summary>
    /// <param name="store">The store that keeps the budget.</param>
    /// <param name="log">Its spend ledger.</param>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget's key.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The check, or <see langword="null"/> when the key has no budget.</returns>
    public static async Task<BudgetSpendCheck?> VerifyAsync(IBudgetStore store, IBudgetSpendLog log, string project, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(log);
        return await store.GetBudgetAsync(project, key, cancellationToken).ConfigureAwait(false) is { } budget
            ? await CheckAsync(store, log, project, budget, cancellationToken).ConfigureAwait(false)
            : null;
    }

    private static async Task<BudgetSpendCheck> CheckAsync(IBudgetStore store, IBudgetSpendLog log, string project, BudgetState budget, CancellationToken cancellationToken)
    {
        BudgetSpendCheck check = await AddUpAsync(log, project, budget, cancellationToken).ConfigureAwait(false);
        for (int attempt = 1; attempt < Attempts && !check.IsBalanced; attempt++)
        {
            // A charge between reading the budget and its records is no imbalance: read both again.
            if (await store.GetBudgetAsync(project, budget.Key, cancellationToken).ConfigureAwait(false) is not { } again
                || (again.Spent == budget.Spent && again.WindowStart == budget.WindowStart))
            {
                break;
            }

            budget = again;
            check = await AddUpAsync(log, project, budget, cancellationToken).ConfigureAwait(false);
        }

        return check;
    }

    private static async Task<BudgetSpendCheck> AddUpAsync(IBudgetSpendLog log, string project, BudgetState budget, CancellationToken cancellationToken)
    {
        var window = new BudgetSpendQuery { Key = budget.Key, From = budget.WindowStart, Limit = 1 };
        BudgetSpendRecord? last = null;
        foreach (BudgetSpendOutcome outcome in CheckpointOutcomes)
        {
            BudgetSpendPage page = await log.QuerySpendAsync(project, window with { Outcome = outcome }, cancellationToken).ConfigureAwait(false);
            if (page.Records is [var found, ..] && (last is null || found.Sequence > last.Sequence))
            {
                last = found;
            }
        }

        IReadOnlyList<BudgetSpendGroup> total = await log.GroupSpendAsync(
            project, window with { After = last?.Sequence }, BudgetSpendGrouping.None, cancellationToken).ConfigureAwait(false);
        decimal cost = total.Sum(g => g.Cost);
        return new BudgetSpendCheck
        {
            Key = budget.Key,
            WindowStart = budget.WindowStart,
            Spent = budget.Spent,
            Recorded = (last?.SpentAfter ?? 0m) + cost,
            Records = total.Sum(g => g.Calls),
        };
    }
}
