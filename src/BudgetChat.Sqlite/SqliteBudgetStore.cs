using System.Runtime.ExceptionServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using BudgetChat.Stores;

namespace BudgetChat.Sqlite;

/// <summary>An <see cref="IBudgetStore"/> that keeps budgets in a SQLite database: the budget service's durable default.</summary>
/// <remarks>
/// <para>
/// Every operation is one SQLite transaction (<c>BEGIN IMMEDIATE</c>, in WAL mode) that writes only the rows it changed:
/// the budgets it touched and the record of its reservation or charge id, so a charge costs the same with one user or
/// 10,000. The rules of the contract are applied by the same ledger the in-memory store uses; this store keeps
/// each project's ledger in memory with the version of the project it was read at, and reads the project's rows again
/// only when another connection (another store instance or process) has changed the project since. Several store
/// instances and processes can therefore share one database file and still never admit more than a limit nor charge an
/// id twice. Every process sharing a file must use the same <see cref="SqliteBudgetStoreOptions.Ledger"/> options. When
/// several instances write to one project in turns, each turn reads that project's rows again (its budgets and the ids it
/// remembers), so one service process per database is the fast path and several are for availability.
/// </para>
/// <para>
/// It keeps a spend ledger (<see cref="IBudgetSpendLog"/>) in the same file, unless
/// <see cref="SqliteBudgetStoreOptions.KeepSpendRecords"/> is off: the record of a settle or charge, and of a reset,
/// deletion or moved window, is written in the same transaction as the change of spend, so a window's records add up to
/// its spend even across processes and crashes. Queries and groups read on a second connection, so a long one does not
/// hold up the store's operations (WAL lets readers and the writer go on together).
/// </para>
/// <para>
/// A file that is not a BudgetChat database (not SQLite at all, or the database of another application) is reported with
/// an <see cref="InvalidDataException"/> naming it, and left as it is. Money is stored as exact decimal text, times as
/// ISO 8601 text with their offset; a spend record's cost is two integers (dollars and the rest in 1e-12 dollars), so that
/// SQL sums it exactly, and its time UTC ticks.
/// </para>
/// <para>
/// This type is thread-safe: operations of one instance run one at a time over its single connection. Microsoft.Data.Sqlite
/// does its I/O synchronously, so an operation waiting for another process's write blocks its thread for at most
/// <see cref="SqliteBudgetStoreOptions.BusyTimeout"/>, then throws <see cref="TimeoutException"/> naming the database,
/// having changed nothing. Dispose the store to close the database.
/// </para>
/// </remarks>
public sealed partial class SqliteBudgetStore : ITransactionalBudgetStore, IBudgetSpendLog, IAsyncDisposable, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Statements _statements;
    private readonly SqliteSpendRecords _spend;
    private readonly bool _keepSpendRecords;
    private readonly int _spendIndexBatchSize;
    private readonly SqliteConnectionStringBuilder _connectionString;
    private readonly BudgetStoreOptions _ledgerOptions;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _busyTimeout;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, CachedProject> _projects = new(StringComparer.Ordinal);
    private readonly BudgetLedgerChanges _changes = new();

    // The records the ledger adds during one operation, written in its transaction (dropped when it rolls back).
    private readonly List<BudgetSpendRecord> _records = [];
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private SqliteConnection? _readConnection;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="SqliteBudgetStore"/> class, opening (or creating) its database.</summary>
    /// <param name="options">Where the database lives, the ledger options, the busy timeout and the durability.</param>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">The logger, or <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="InvalidDataException">The file is not a BudgetChat database, or was written by a newer version; it was left as it is.</exception>
    /// <exception cref="SqliteException">The database cannot be opened (for example, the folder is not writable).</exception>
    public SqliteBudgetStore(SqliteBudgetStoreOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ledgerOptions = new BudgetStoreOptions
        {
            TimeZone = options.Ledger.TimeZone,
            CompletedIdRetention = options.Ledger.CompletedIdRetention,
        };
        _timeProvider = timeProvider ?? TimeProvider.System;
        _busyTimeout = options.BusyTimeout;
        _keepSpendRecords = options.KeepSpendRecords;
        _spendIndexBatchSize = Math.Max(1, options.SpendIndexBatchSize);
        _logger = logger ?? NullLogger.Instance;
        DatabasePath = options.GetFullDatabasePath();
        _connectionString = ConnectionString(DatabasePath, options);
        _connection = Open(DatabasePath, options);
        try
        {
            _statements = new Statements(_connection);
            _spend = new SqliteSpendRecords(_connection);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string DatabasePath { get; }

    private DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <inheritdoc/>
    public ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        return RunAsync(project, key, static (ledger, key, now) => ledger.Get(key, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        return RunAsync(project, (key, definition, createdAt), static (ledger, s, now) => ledger.Set(s.key, s.definition, s.createdAt, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        return RunAsync(project, (key, definition), static (ledger, s, now) => ledger.GetOrCreate(s.key, s.definition, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        return RunAsync(project, key, static (ledger, key, now) => ledger.Delete(key, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        return RunAsync(project, 0, static (ledger, _, now) => ledger.List(now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetListPage> ListBudgetsAsync(string project, BudgetListQuery query, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return RunAsync(project, query, static (ledger, q, now) => ledger.List(q, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Reserve(project, keys, amount, reservationId);
        return RunAsync(
            project,
            (keys: keys.ToArray(), amount, reservationId, expiresAt),
            static (ledger, s, now) => ledger.Reserve(s.keys, s.amount, s.reservationId, s.expiresAt, now),
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Settle(project, reservationId, actualCost);
        return RunAsync(project, (reservationId, actualCost), static (ledger, s, now) => ledger.Settle(s.reservationId, s.actualCost, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Release(project, reservationId);
        return RunAsync(project, reservationId, static (ledger, id, now) => ledger.Release(id, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Renew(project, reservationId);
        return RunAsync(project, (reservationId, expiresAt), static (ledger, s, now) => ledger.Renew(s.reservationId, s.expiresAt, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Charge(project, keys, amount, chargeId);
        return RunAsync(
            project,
            (keys: keys.ToArray(), amount, chargeId),
            static (ledger, s, now) => ledger.Charge(s.keys, s.amount, s.chargeId, now),
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        return RunAsync(project, key, static (ledger, key, now) => ledger.Reset(key, now), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<TResult> UpdateProjectAsync<TState, TResult>(
        string project, TState state, Func<BudgetLedger, TState, DateTimeOffset, TResult> update, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(update);
        return RunAsync(project, state, update, cancellationToken, allOrNothing: true);
    }

    /// <inheritdoc/>
    /// <remarks>Each project is swept in its own transaction, so other operations go on between projects.</remarks>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        List<string> projects;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            projects = _statements.ListProjects();
        }
        finally
        {
            _gate.Release();
        }

        int rolled = 0;
        foreach (string project in projects)
        {
            rolled += await RunAsync(project, 0, static (ledger, _, now) => ledger.Sweep(now), cancellationToken).ConfigureAwait(false);
        }

        return rolled;
    }

    /// <summary>Closes the database. Operations that are running finish first; later ones throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _gate.Wait();
        _readGate.Wait();
        try
        {
            Close();
        }
        finally
        {
            _readGate.Release();
            _gate.Release();
        }
    }

    /// <summary>Closes the database. Operations that are running finish first; later ones throw <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the database is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        await _readGate.WaitAsync().ConfigureAwait(false);
        try
        {
            Close();
        }
        finally
        {
            _readGate.Release();
            _gate.Release();
        }
    }

    private void Close()
    {
        _projects.Clear();
        _statements.Dispose();
        _spend.Dispose();
        _connection.Dispose();
        _readConnection?.Dispose();
    }

    private async ValueTask<TResult> RunAsync<TState, TResult>(
        string project, TState state, Func<BudgetLedger, TState, DateTimeOffset, TResult> apply, CancellationToken cancellationToken, bool allOrNothing = false)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return Execute(project, state, apply, allOrNothing);
        }
        finally
        {
            _gate.Release();
        }
    }

    private TResult Execute<TState, TResult>(string project, TState state, Func<BudgetLedger, TState, DateTimeOffset, TResult> apply, bool allOrNothing)
    {
        TResult result = default!;
        Exception? refused = null;
        try
        {
            // IMMEDIATE: the write lock is taken before the project's version is read, so no other connection can change
            // the project between reading it and writing what this operation changed.
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
            ProjectRow row = _statements.ReadProjectRow(transaction, project);
            long version = row.Version;
            BudgetLedger ledger = GetLedger(transaction, project, version);
            _changes.Clear();
            _records.Clear();
            ledger.Changes = _changes;
            ledger.Records = _keepSpendRecords ? _records : null;
            try
            {
                result = apply(ledger, state, Now);
            }
            catch (Exception ex) when (!allOrNothing && (ex is ArgumentException or BudgetNotFoundException))
            {
                // The ledger refuses these before changing anything but what had come due (reclaims, forgotten ids);
                // those are saved below like any other change. In an all-or-nothing update the exception rolls back
                // everything instead (below), since the operations before it did change the ledger.
                refused = ex;
            }
            finally
            {
                // A cached ledger holds no list of this store's: the next operation, or a reload, sets its own.
                ledger.Changes = null;
                ledger.Records = null;
            }

            if (!_changes.IsEmpty)
            {
                WriteChanges(transaction, project, ledger);
                version++;
            }

            if (!_changes.IsEmpty || _records.Count > 0)
            {
                _statements.WriteProjectRow(transaction, project, WriteRecords(transaction, project, row, _records) with { Version = version });
            }

            transaction.Commit();
            if (version == 0)
            {
                // Nothing was ever stored for this project: keep no ledger for it, so that reads of unknown projects cost no memory.
                _projects.Remove(project);
            }
            else
            {
                _projects[project] = new CachedProject(ledger, version);
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            _projects.Remove(project);
            throw new TimeoutException(
                $"Timed out after {_busyTimeout} waiting for the budget database '{DatabasePath}': another process or store instance held its write lock all that time. Nothing was changed.",
                ex);
        }
        catch
        {
            // What this instance holds may now differ from the database (the transaction was rolled back): read it again next time.
            _projects.Remove(project);
            throw;
        }
        finally
        {
            // Written with the transaction, or rolled back with it.
            _records.Clear();
        }

        if (refused is not null)
        {
            ExceptionDispatchInfo.Throw(refused);
        }

        return result;
    }

    private BudgetLedger GetLedger(SqliteTransaction transaction, string project, long version)
    {
        bool cached = _projects.TryGetValue(project, out CachedProject? entry);
        if (cached && entry!.Version == version)
        {
            return entry.Ledger;
        }

        if (version == 0)
        {
            return new BudgetLedger(project, _ledgerOptions);
        }

        if (cached)
        {
            LogProjectReloaded(_logger, project, entry!.Version, version);
        }

        return LoadLedger(transaction, project);
    }

    private void WriteChanges(SqliteTransaction transaction, string project, BudgetLedger ledger)
    {
        foreach (string key in _changes.Budgets)
        {
            if (ledger.ExportBudget(key) is { } budget)
            {
                _statements.UpsertBudget(transaction, project, budget);
            }
            else
            {
                _statements.DeleteBudget(transaction, project, key);
            }
        }

        foreach (string id in _changes.Reservations)
        {
            if (ledger.TryExportReservation(id, out ReservationRecord? reservation, out DateTimeOffset? forgetAt))
            {
                _statements.UpsertReservation(transaction, project, reservation, forgetAt);
            }
            else
            {
                _statements.DeleteReservation(transaction, project, id);
            }
        }
    }

    // The records are numbered from the project's row, which the transaction writes anyway; every
    // SqliteSpendRecords.IndexBatchSize records they are indexed by key and user in one go.
    private ProjectRow WriteRecords(SqliteTransaction transaction, string project, ProjectRow row, List<BudgetSpendRecord> records)
    {
        long sequence = row.SpendSequence;
        foreach (BudgetSpendRecord record in records)
        {
            _spend.Insert(transaction, project, ++sequence, record);
        }

        long indexed = row.SpendIndexed;
        if (sequence - indexed >= _spendIndexBatchSize)
        {
            _spend.Index(transaction, project, indexed, sequence);
            indexed = sequence;
        }

        return row with { SpendSequence = sequence, SpendIndexed = indexed };
    }

    private sealed record CachedProject(BudgetLedger Ledger, long Version);

    /// <summary>A project's row: the version of its budgets, its last spend record, and the last one indexed by key and user.</summary>
    private readonly record struct ProjectRow(long Version, long SpendSequence, long SpendIndexed);
}
