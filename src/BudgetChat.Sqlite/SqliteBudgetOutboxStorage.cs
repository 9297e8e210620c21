using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace BudgetChat.Sqlite;

/// <summary>
/// Keeps a <see cref="BudgetOutbox"/>'s entries in a SQLite file of their own, so that the costs a process could not
/// record survive its restart (or its crash): the next start loads them and sends them again under their ids.
/// </summary>
/// <remarks>
/// <para>
/// Register it with <c>services.AddSqliteBudgetOutbox(path)</c>. Each save is committed with <c>synchronous = FULL</c>
/// before it returns. The file is one process's: give every process (every instance of an app) a file of its own; two
/// processes on one file would both send its entries, which the store's idempotency makes harmless but wasteful.
/// </para>
/// <para>
/// The file holds one table, <c>outbox(project, id, operation, budget_keys, cost, model, queued_at, tokens)</c>; a file
/// written before the tokens were kept is upgraded when opened, its entries with no tokens. This type is thread-safe.
/// </para>
/// </remarks>
public sealed class SqliteBudgetOutboxStorage : IBudgetOutboxStorage, IDisposable
{
    /// <summary>SQLite's <c>PRAGMA application_id</c> of an outbox file: "BCOB".</summary>
    internal const int ApplicationId = 0x42434F42;

    /// <summary>The layout this type writes (<c>PRAGMA user_version</c>); files written before the tokens column are 0.</summary>
    internal const int SchemaVersion = 1;

    // The table as files of version 0 hold it; UpgradeSql adds what came after, so that new and upgraded files have one layout.
    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS outbox (
            project TEXT NOT NULL,
            id TEXT NOT NULL,
            operation TEXT NOT NULL,
            budget_keys TEXT NOT NULL,
            cost TEXT NOT NULL,
            model TEXT,
            queued_at TEXT NOT NULL,
            PRIMARY KEY (project, id)
        ) WITHOUT ROWID;
        """;

    private const string UpgradeSql = "ALTER TABLE outbox ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;";

    private readonly Lock _gate = new();
    private readonly SqliteConnection _connection;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="SqliteBudgetOutboxStorage"/> class, creating the file if needed.</summary>
    /// <param name="path">The file, for example <c>outbox.db</c> next to the app's data; its folder is created.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="InvalidDataException">The file is not an outbox file (another database, or not SQLite at all); it is left as it is.</exception>
    public SqliteBudgetOutboxStorage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FilePath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            _connection.Open();
            long applicationId = Convert.ToInt64(Scalar("PRAGMA application_id;"), CultureInfo.InvariantCulture);
            long tables = Convert.ToInt64(Scalar("SELECT count(*) FROM sqlite_schema;"), CultureInfo.InvariantCulture);
            if (applicationId != ApplicationId && (applicationId != 0 || tables != 0))
            {
                throw new InvalidDataException($"The file '{FilePath}' is not a BudgetChat outbox (it holds another database); it was left as it is.");
            }

            CheckNotNewer(null);
            Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;");
            CreateOrUpgrade();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBudgetStore.SqliteCorrupt or SqliteBudgetStore.SqliteNotADatabase)
        {
            _connection.Dispose();
            throw new InvalidDataException($"The outbox file '{FilePath}' is not a SQLite database, or is corrupt ({ex.Message}). It was left as it is.", ex);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>Gets the full path of the file.</summary>
    public string FilePath { get; }

    /// <inheritdoc/>
    public ValueTask SaveAsync(BudgetOutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = """
                INSERT OR IGNORE INTO outbox (project, id, operation, budget_keys, cost, model, queued_at, tokens)
                VALUES ($project, $id, $operation, $keys, $cost, $model, $queuedAt, $tokens);
                """;
            command.Parameters.AddWithValue("$project", entry.Project);
            command.Parameters.AddWithValue("$id", entry.Id);
            command.Parameters.AddWithValue("$operation", entry.Operation == BudgetOutboxOperation.Settle ? "settle" : "charge");
            command.Parameters.AddWithValue("$keys", JsonSerializer.Serialize(entry.Keys.ToArray(), SqliteRowJsonContext.Default.StringArray));
            command.Parameters.AddWithValue("$cost", entry.Cost.ToString(CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$model", (object?)entry.Model ?? DBNull.Value);
            command.Parameters.AddWithValue("$queuedAt", entry.QueuedAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$tokens", entry.Tokens);
            command.ExecuteNonQuery();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask RemoveAsync(string project, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM outbox WHERE project = $project AND id = $id;";
            command.Parameters.AddWithValue("$project", project);
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">A row cannot be read; the message names the file and the row.</exception>
    public ValueTask<IReadOnlyList<BudgetOutboxEntry>> LoadAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entries = new List<BudgetOutboxEntry>();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "SELECT project, id, operation, budget_keys, cost, model, queued_at, tokens FROM outbox ORDER BY queued_at;";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                string project = reader.GetString(0);
                string id = reader.GetString(1);
                try
                {
                    entries.Add(new BudgetOutboxEntry(
                        reader.GetString(2) switch
                        {
                            "settle" => BudgetOutboxOperation.Settle,
                            "charge" => BudgetOutboxOperation.Charge,
                            string other => throw new FormatException($"operation '{other}' is neither settle nor charge."),
                        },
                        project,
                        id,
                        JsonSerializer.Deserialize(reader.GetString(3), SqliteRowJsonContext.Default.StringArray) ?? throw new FormatException("budget_keys is null."),
                        decimal.Parse(reader.GetString(4), NumberStyles.Number, CultureInfo.InvariantCulture),
                        reader.IsDBNull(5) ? null : reader.GetString(5),
                        DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                        reader.GetInt64(7)));
                }
                catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException or OverflowException)
                {
                    throw new InvalidDataException($"The outbox file '{FilePath}' holds an entry ({project}, {id}) that cannot be read: {ex.Message} It was left as it is.", ex);
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<BudgetOutboxEntry>>(entries);
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _connection.Dispose();
        }
    }

    private void CreateOrUpgrade()
    {
        using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
        if (CheckNotNewer(transaction) == SchemaVersion)
        {
            return;
        }

        SqliteBudgetStore.Execute(_connection, transaction, CreateSql);
        SqliteBudgetStore.Execute(_connection, transaction, UpgradeSql);
        SqliteBudgetStore.Execute(_connection, transaction, string.Create(CultureInfo.InvariantCulture, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};"));
        transaction.Commit();
    }

    /// <returns>The file's version.</returns>
    private long CheckNotNewer(SqliteTransaction? transaction)
    {
        long version = Convert.ToInt64(SqliteBudgetStore.Scalar(_connection, transaction, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        return version <= SchemaVersion ? version : throw new InvalidDataException(
            $"The outbox file '{FilePath}' has version {version}, written by a newer BudgetChat; this version reads version {SchemaVersion}. It was left as it is.");
    }

    private void Execute(string sql) => SqliteBudgetStore.Execute(_connection, null, sql);

    private object? Scalar(string sql) => SqliteBudgetStore.Scalar(_connection, null, sql);
}
