using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using BudgetChat.Stores;

namespace BudgetChat;

/// <summary>An <see cref="IBudgetStore"/> that keeps budgets in the memory of this process.</summary>
/// <remarks>
/// <para>
/// For tests and single-process apps: everything is lost when the process ends. Each project has its own lock, held
/// only for the few dictionary operations of one call, so a reservation across several keys is atomic and projects
/// never contend with each other.
/// </para>
/// <para>
/// Its spend ledger (<see cref="IBudgetSpendLog"/>) keeps the newest <see cref="BudgetStoreOptions.SpendRecordCapacity"/>
/// records per project, written under the same lock as the charge they record.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
public sealed class InMemoryBudgetStore : ITransactionalBudgetStore, IBudgetSpendLog
{
    private readonly ConcurrentDictionary<string, Project> _projects = new(StringComparer.Ordinal);
    private readonly BudgetStoreOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance of the <see cref="InMemoryBudgetStore"/> class.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (UTC calendar).</param>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public InMemoryBudgetStore(BudgetStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new BudgetStoreOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult<BudgetState?>(null);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Get(key, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        cancellationToken.ThrowIfCancellationRequested();
        Project p = GetProject(project);
        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Set(key, definition, createdAt, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        cancellationToken.ThrowIfCancellationRequested();
        Project p = GetProject(project);
        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.GetOrCreate(key, definition, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult(false);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Delete(key, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult<IReadOnlyList<BudgetState>>([]);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.List(Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetListPage> ListBudgetsAsync(string project, BudgetListQuery query, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult(new BudgetListPage { Budgets = [] });
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.List(query, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Reserve(project, keys, amount, reservationId);
        cancellationToken.ThrowIfCancellationRequested();
        Project p = GetProject(project);
        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Reserve(keys, amount, reservationId, expiresAt, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Settle(project, reservationId, actualCost);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult(BudgetCompletion.NotFound);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Settle(reservationId, actualCost, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Release(project, reservationId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult(BudgetCompletion.NotFound);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Release(reservationId, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Renew(project, reservationId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult(BudgetRenewalStatus.NotFound);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Renew(reservationId, expiresAt, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Charge(project, keys, amount, chargeId);
        cancellationToken.ThrowIfCancellationRequested();
        Project p = GetProject(project);
        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Charge(keys, amount, chargeId, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult<BudgetState?>(null);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Ledger.Reset(key, Now));
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        int rolled = 0;
        foreach (Project p in _projects.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (p.Gate)
            {
                rolled += p.Ledger.Sweep(Now);
            }
        }

        return ValueTask.FromResult(rolled);
    }

    /// <inheritdoc/>
    /// <remarks>The project's ledger is saved before <paramref name="update"/> runs and put back if it throws.</remarks>
    public ValueTask<TResult> UpdateProjectAsync<TState, TResult>(
        string project, TState state, Func<BudgetLedger, TState, DateTimeOffset, TResult> update, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(update);
        cancellationToken.ThrowIfCancellationRequested();
        Project p = GetProject(project);
        lock (p.Gate)
        {
            SavedLedger before = p.Ledger.Export();
            long recorded = p.Spend.Next;
            try
            {
                return ValueTask.FromResult(update(p.Ledger, state, Now));
            }
            catch
            {
                p.Ledger = BudgetLedger.Import(project, _options, before);
                p.Ledger.Records = p.Spend;
                p.Spend.TruncateFrom(recorded);
                throw;
            }
        }
    }

    private DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <inheritdoc/>
    public ValueTask AppendSpendAsync(string project, BudgetSpendRecord record, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.SpendRecord(project, record);
        cancellationToken.ThrowIfCancellationRequested();
        Project p = GetProject(project);
        lock (p.Gate)
        {
            p.Spend.Add(record.Time == default ? record with { Time = Now } : record);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<BudgetSpendPage> QuerySpendAsync(string project, BudgetSpendQuery query, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult(new BudgetSpendPage([], null));
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Spend.Query(query));
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BudgetSpendGroup>> GroupSpendAsync(string project, BudgetSpendQuery query, BudgetSpendGrouping grouping, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)grouping, (uint)BudgetSpendGrouping.Outcome, nameof(grouping));
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryGetProject(project, out Project? p))
        {
            return ValueTask.FromResult<IReadOnlyList<BudgetSpendGroup>>(grouping == BudgetSpendGrouping.None ? [new BudgetSpendGroup()] : []);
        }

        lock (p.Gate)
        {
            return ValueTask.FromResult(p.Spend.Group(query, grouping));
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> PruneSpendAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        long pruned = 0;
        foreach (Project p in _projects.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (p.Gate)
            {
                pruned += p.Spend.Prune(before);
            }
        }

        return ValueTask.FromResult(pruned);
    }

    private Project GetProject(string name) =>
        _projects.GetOrAdd(name, static (n, options) => new Project(new BudgetLedger(n, options), new SpendRing(options.SpendRecordCapacity)), _options);

    private bool TryGetProject(string name, [NotNullWhen(true)] out Project? project) => _projects.TryGetValue(name, out project);

    private sealed class Project
    {
        public Project(BudgetLedger ledger, SpendRing spend)
        {
            Spend = spend;
            Ledger = ledger;
            ledger.Records = spend;
        }

        public Lock Gate { get; } = new();

        /// <summary>The project's spend records, which the ledger adds to as it charges.</summary>
        public SpendRing Spend { get; }

        /// <summary>Replaced only under <see cref="Gate"/>, by a failed <see cref="UpdateProjectAsync"/>.</summary>
        public BudgetLedger Ledger { get; set; }
    }
}
