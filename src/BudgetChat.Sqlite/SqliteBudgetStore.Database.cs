using System.Globalization;
using Microsoft.Data.Sqlite;
using BudgetChat.Stores;

namespace BudgetChat.Sqlite;

// The database: created on first open, recognised by its application id, versioned by user_version.
//
//   projects(name, version, ...)       version: bumped by every transaction that changed the project's budgets or
//                                      reservations, so an instance that holds the project's ledger at that version knows
//                                      it is current; spend_sequence: the project's last spend record; spend_indexed: the
//                                      last one indexed in spend_index
//   budgets(project, budget_key, ...)  one row per budget; money as invariant decimal text, times as ISO 8601 ("O");
//                                      limit_usd, period, alignment and limit_name are the main limit, limits (JSON) the
//                                      others and windows (JSON) their windows, both null when there is only the main one
//   reservations(project, id, ...)     active and reclaimed reservations, and ended ids remembered until forget_at with
//                                      how they ended (state settled, released or charged; "completed" in version 1),
//                                      their tokens, and the model of one in flight
//
//   spend_records(project, sequence, ...)  the spend ledger (SqliteSpendRecords): one row per record, written with the
//                                      operation that made it, indexed by time; amounts as integers that sum exactly
//   spend_index(project, kind, name, ...)  a row per key and one per user of each record, written in batches
//   spend_daily(project, kind, day, ...)   what spend_index holds added up per key or user, UTC day and outcome, written
//                                      with it, for groupings by key and user that do not read every record
//
// Version 2 differs from version 1 only in the state names an ended id may have; a version 1 file is upgraded in place
// by setting its user_version, and its "completed" ids keep their old meaning (ended, how unknown). Version 3 adds
// columns whose null or default values say what a budget of version 2 was: one limit, named by default, enforced; no
// tokens and no model on its reservations. Version 4 adds the spend ledger's tables, empty, and its two counters to
// projects (0: no records). Version 5 adds spend_daily, filled from spend_index. Older versions are upgraded by adding what they lack (no row is rewritten), and a new
// database is made by the same statements, so that every file of version 5 has one layout.
public sealed partial class SqliteBudgetStore
{
    /// <summary>SQLite's <c>PRAGMA application_id</c> of a BudgetChat database: "BCHT".</summary>
    internal const int ApplicationId = 0x42434854;

    /// <summary>The schema version this store writes (<c>PRAGMA user_version</c>).</summary>
    internal const int SchemaVersion = 5;

    /// <summary>The oldest schema version this store upgrades.</summary>
    private const int OldestSchemaVersion = 1;

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    internal const int SqliteCorrupt = 11;
    internal const int SqliteNotADatabase = 26;

    // The tables as versions 1 and 2 made them; UpgradeSchemaSql makes them version 3's.
    private const string CreateVersion2SchemaSql = """
        CREATE TABLE projects (
            name TEXT NOT NULL PRIMARY KEY,
            version INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE budgets (
            project TEXT NOT NULL,
            budget_key TEXT NOT NULL,
            limit_usd TEXT NOT NULL,
            period TEXT NOT NULL,
            alignment TEXT NOT NULL,
            alert_thresholds TEXT NOT NULL,
            anchor TEXT NOT NULL,
            window_start TEXT NOT NULL,
            window_end TEXT,
            spent TEXT NOT NULL,
            reserved TEXT NOT NULL,
            spend_by_model TEXT NOT NULL,
            alerts_raised INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (project, budget_key)
        ) WITHOUT ROWID;
        CREATE TABLE reservations (
            project TEXT NOT NULL,
            id TEXT NOT NULL,
            state TEXT NOT NULL,
            budget_keys TEXT NOT NULL,
            holds TEXT NOT NULL,
            amount TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            forget_at TEXT,
            PRIMARY KEY (project, id)
        ) WITHOUT ROWID;
        """;

    // Version 3's columns, added to a file of version 1 or 2.
    private const string UpgradeSchemaSql = """
        ALTER TABLE budgets ADD COLUMN limit_name TEXT;
        ALTER TABLE budgets ADD COLUMN enforcement TEXT NOT NULL DEFAULT 'enforce';
        ALTER TABLE budgets ADD COLUMN limits TEXT;
        ALTER TABLE budgets ADD COLUMN windows TEXT;
        ALTER TABLE reservations ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE reservations ADD COLUMN model TEXT;
        """;

    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    private enum SchemaState
    {
        Empty,
        Old,
        Current,
    }

    private static SqliteConnectionStringBuilder ConnectionString(string path, SqliteBudgetStoreOptions options) => new()
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,

        // Closing the store closes the file, rather than parking the connection in a pool.
        Pooling = false,

        // Microsoft.Data.Sqlite retries a busy database for this long, on top of SQLite's own busy handler.
        DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
    };

    private SqliteConnection Open(string path, SqliteBudgetStoreOptions options)
    {
        CheckIsSqliteFile(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connection = new SqliteConnection(_connectionString.ToString());
        try
        {
            connection.Open();
            Execute(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};"));

            // Only reads until the file is known to be empty or ours: a foreign database is never changed.
            SchemaState schema = ReadSchemaState(connection, null, path);
            bool created = schema == SchemaState.Empty && CreateSchema(connection, path);
            if (schema == SchemaState.Old && UpgradeSchema(connection, path) is { } from)
            {
                LogDatabaseUpgraded(_logger, path, from, SchemaVersion);
            }

            if (options.CheckIntegrityOnOpen && !created)
            {
                CheckIntegrity(connection, path);
            }

            string? mode = Convert.ToString(Scalar(connection, null, "PRAGMA journal_mode = WAL;"), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                LogWalUnavailable(_logger, path, mode);
            }

            Execute(connection, null, options.Synchronous == SqliteSynchronousMode.Full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
            if (created)
            {
                LogDatabaseCreated(_logger, path);
            }

            return connection;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteNotADatabase or SqliteCorrupt)
        {
            connection.Dispose();
            throw new InvalidDataException($"The budget database '{path}' is not a SQLite database, or is corrupt ({ex.Message}). It was left as it is.", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // Garbage is refused before SQLite sees it, so that nothing at all is written next to or into it.
    private static void CheckIsSqliteFile(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length == 0)
        {
            return;
        }

        Span<byte> header = stackalloc byte[16];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (file.Length < 100 || read < header.Length || !header.SequenceEqual(SqliteHeader))
        {
            throw new InvalidDataException(
                $"The file '{path}' is not a SQLite database, so it cannot be a BudgetChat budget database. It was left as it is; " +
                "point SqliteBudgetStoreOptions.DatabasePath or DataDirectory at another file.");
        }
    }

    private static SchemaState ReadSchemaState(SqliteConnection connection, SqliteTransaction? transaction, string path)
    {
        long applicationId = Convert.ToInt64(Scalar(connection, transaction, "PRAGMA application_id;"), CultureInfo.InvariantCulture);
        long userVersion = Convert.ToInt64(Scalar(connection, transaction, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        if (applicationId == ApplicationId)
        {
            return userVersion switch
            {
                SchemaVersion => SchemaState.Current,
                >= OldestSchemaVersion and < SchemaVersion => SchemaState.Old,
                > SchemaVersion => throw new InvalidDataException(
                    $"The budget database '{path}' has schema version {userVersion}, written by a newer BudgetChat; this version reads schema version {SchemaVersion}. It was left as it is."),
                _ => throw new InvalidDataException(
                    $"The budget database '{path}' is marked as BudgetChat's but has schema version {userVersion}, which no BudgetChat writes. It was left as it is."),
            };
        }

        long objects = Convert.ToInt64(Scalar(connection, transaction, "SELECT count(*) FROM sqlite_master;"), CultureInfo.InvariantCulture);
        if (applicationId == 0 && userVersion == 0 && objects == 0)
        {
            return SchemaState.Empty;
        }

        throw new InvalidDataException(
            $"The file '{path}' is a SQLite database of another application (application_id {applicationId}, user_version {userVersion}, " +
            $"{objects} tables and indexes), not a BudgetChat budget database. It was left as it is; point SqliteBudgetStoreOptions.DatabasePath " +
            "or DataDirectory at another file.");
    }

    /// <returns><see langword="true"/> when this call created the schema; <see langword="false"/> when another connection did first.</returns>
    private static bool CreateSchema(SqliteConnection connection, string path)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        if (ReadSchemaState(connection, transaction, path) == SchemaState.Current)
        {
            return false;
        }

        Execute(connection, transaction, CreateVersion2SchemaSql);
        Execute(connection, transaction, UpgradeSchemaSql);
        Execute(connection, transaction, SqliteSpendRecords.CreateSchemaSql);
        Execute(connection, transaction, SqliteSpendRecords.CreateDailySchemaSql);
        Execute(connection, transaction, string.Create(CultureInfo.InvariantCulture, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};"));
        transaction.Commit();
        return true;
    }

    /// <returns>The version upgraded from, or <see langword="null"/> when another connection upgraded first.</returns>
    private static long? UpgradeSchema(SqliteConnection connection, string path)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        if (ReadSchemaState(connection, transaction, path) != SchemaState.Old)
        {
            return null;
        }

        long from = Convert.ToInt64(Scalar(connection, transaction, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        if (from < 3)
        {
            Execute(connection, transaction, UpgradeSchemaSql);
        }

        if (from < 4)
        {
            Execute(connection, transaction, SqliteSpendRecords.CreateSchemaSql);
        }

        Execute(connection, transaction, SqliteSpendRecords.CreateDailySchemaSql);
        Execute(connection, transaction, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {SchemaVersion};"));
        transaction.Commit();
        return from;
    }

    // A file whose header is intact but whose pages are damaged opens without error and fails on every query later:
    // found here, the store refuses to start instead.
    private static void CheckIntegrity(SqliteConnection connection, string path)
    {
        var problems = new List<string>();
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA quick_check(5);";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                problems.Add(reader.GetString(0));
            }
        }

        if (problems is not ["ok"])
        {
            throw new InvalidDataException(
                $"The budget database '{path}' is damaged (SQLite's quick_check found: {string.Join("; ", problems)}). It was left as it is; " +
                "restore it from a backup, or move it away to start with an empty database.");
        }
    }

    private BudgetLedger LoadLedger(SqliteTransaction transaction, string project)
    {
        try
        {
            return BudgetLedger.Import(project, _ledgerOptions, _statements.ReadProject(transaction, project));
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"The budget database '{DatabasePath}' holds a record of project '{project}' that cannot be read: {ex.Message} It was left as it is.", ex);
        }
    }

    internal static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
