using System.Globalization;
using Microsoft.Data.Sqlite;
using BudgetChat.Stores;

namespace BudgetChat.Sqlite;

// The spend ledger (IBudgetSpendLog): the ledger's records are written by Execute with the operation that made them;
// here are appended refusals and releases, and queries, groups and pruning. The tables are SqliteSpendRecords'.
public sealed partial class SqliteBudgetStore
{
    /// <inheritdoc/>
    /// <remarks>Nothing is written when <see cref="SqliteBudgetStoreOptions.KeepSpendRecords"/> is off.</remarks>
    public async ValueTask AppendSpendAsync(string project, BudgetSpendRecord record, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.SpendRecord(project, record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_keepSpendRecords)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            BudgetSpendRecord stored = record.Time == default ? record with { Time = Now } : record;
            Write(transaction =>
            {
                // The project's version stays: its budgets did not change, so a cached ledger is still current.
                ProjectRow row = _statements.ReadProjectRow(transaction, project);
                _statements.WriteProjectRow(transaction, project, WriteRecords(transaction, project, row, [stored]));
            });
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetSpendPage> QuerySpendAsync(string project, BudgetSpendQuery query, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return ReadAsync(connection => SqliteSpendRecords.Query(connection, project, query), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BudgetSpendGroup>> GroupSpendAsync(string project, BudgetSpendQuery query, BudgetSpendGrouping grouping, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)grouping, (uint)BudgetSpendGrouping.Outcome, nameof(grouping));
        return ReadAsync(connection => SqliteSpendRecords.Group(connection, project, query, grouping), cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Deletes at most 100 records per transaction (about 10 ms), so other operations, of this store and of other
    /// processes, go on in between.
    /// </remarks>
    public async ValueTask<long> PruneSpendAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        List<string> projects = await ReadAsync(SqliteSpendRecords.ProjectsWithRecords, cancellationToken).ConfigureAwait(false);
        long pruned = 0;
        foreach (string project in projects)
        {
            int batch;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                    batch = 0;
                    Write(transaction => batch = _spend.PruneBatch(transaction, project, before));
                }
                finally
                {
                    _gate.Release();
                }

                pruned += batch;
            }
            while (batch == SqliteSpendRecords.PruneBatchSize);
        }

        return pruned;
    }

    // One write transaction of the spend tables alone: the ledger is not involved, so the project's version stays.
    private void Write(Action<SqliteTransaction> write)
    {
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
            write(transaction);
            transaction.Commit();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            throw new TimeoutException(
                $"Timed out after {_busyTimeout} waiting for the budget database '{DatabasePath}': another process or store instance held its write lock all that time. Nothing was changed.",
                ex);
        }
    }

    // Reads on the second connection, one at a time, opened on first use.
    private async ValueTask<TResult> ReadAsync<TResult>(Func<SqliteConnection, TResult> read, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return read(_readConnection ??= OpenReader());
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            throw new TimeoutException($"Timed out after {_busyTimeout} reading the budget database '{DatabasePath}'.", ex);
        }
        finally
        {
            _readGate.Release();
        }
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString.ToString());
        try
        {
            connection.Open();
            Execute(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)_busyTimeout.TotalMilliseconds}; PRAGMA query_only = ON;"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
