using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using BudgetChat.Stores;

namespace BudgetChat.Sqlite;

/// <summary>
/// The spend ledger's tables in a <see cref="SqliteBudgetStore"/> database: writes records, reads pages and groups,
/// deletes old records.
/// </summary>
/// <remarks>
/// <para>
/// <c>spend_records</c> holds one row per record; its rowid is the record's <see cref="BudgetSpendRecord.Sequence"/>
/// (<c>AUTOINCREMENT</c>, so a number is never given twice, not even after every record was pruned). Times and
/// durations are integer UTC ticks, so ranges compare as integers. A cost is two integers, the whole dollars
/// (<c>cost_units</c>) and the rest in millionths of a millionth (<c>cost_pico</c>): amounts are held at 12 decimal
/// places up to 1e12 (<see cref="BudgetAmounts"/>), which one 64-bit integer cannot hold (1e24 units), and SQLite has no
/// decimal. A sum adds up the whole dollars, the millionths (<c>cost_pico / 1000000</c>) and the rest
/// (<c>cost_pico % 1000000</c>) as three integers, each far from overflowing (the parts below a dollar would need 9e12
/// records), and puts them together in <see cref="decimal"/>: exact. Amounts that are not summed (<c>held</c>,
/// <c>spent_after</c>) are decimal text, as in the other tables, and outcomes and marks their names
/// (<see cref="BudgetSpendNames"/>).
/// </para>
/// <para>
/// A record's keys are a JSON array in its row (read back in order) and one row each in <c>spend_record_keys</c>, whose
/// primary key (project, key, time, record) makes a key filter a range, and which carries what groups add up, so that
/// a key's spend in a window (what <see cref="BudgetSpendVerifier"/> asks) is read from it alone.
/// </para>
/// <para>
/// Indexes, so that a group over a million records is one pass over an index without sorting: by project (pages in
/// sequence order), by project and UTC hour then outcome and model (time ranges; groups by hour, day, outcome and model
/// are grouped by hour, outcome and model in SQL and merged here), by project and user (groups by user, user filters).
/// Each carries what a group adds up, so no group reads a record's row.
/// </para>
/// <para>Not thread-safe: the store uses it under its gate.</para>
/// </remarks>
internal sealed partial class SqliteSpendRecords : IDisposable
{
    /// <summary>The tables and indexes of schema version 4.</summary>
    internal const string CreateSchemaSql = $$"""
        CREATE TABLE spend_records (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            project TEXT NOT NULL,
            time INTEGER NOT NULL,
            keys TEXT NOT NULL,
            user TEXT,
            requested_model TEXT,
            model TEXT,
            input_tokens INTEGER,
            cached_input_tokens INTEGER,
            output_tokens INTEGER,
            reasoning_tokens INTEGER,
            tokens INTEGER NOT NULL,
            cost_units INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            held TEXT NOT NULL,
            spent_after TEXT,
            outcome TEXT NOT NULL,
            marks TEXT NOT NULL,
            reason TEXT,
            refused_key TEXT,
            refused_window TEXT,
            max_output_tokens INTEGER,
            duration INTEGER,
            trace_id TEXT,
            id TEXT
        );
        CREATE INDEX spend_records_by_project ON spend_records (project);
        CREATE INDEX spend_records_by_time ON spend_records (project, {{HourOfTime}}, outcome, model, time, user, {{Totals}});
        CREATE INDEX spend_records_by_user ON spend_records (project, user, time, model, outcome, {{Totals}});
        CREATE TABLE spend_record_keys (
            project TEXT NOT NULL,
            budget_key TEXT NOT NULL,
            time INTEGER NOT NULL,
            record INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            cost_units INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            PRIMARY KEY (project, budget_key, time, record)
        ) WITHOUT ROWID;
        """;

    /// <summary>How many records one transaction of <see cref="PruneBatch"/> deletes at most.</summary>
    internal const int PruneBatchSize = 500;

    // The UTC hour of a record, as the index spells it: a query must use the same expression for SQLite to use the index.
    private const string HourOfTime = "time / 36000000000";
    private const string Totals = "cost_units, cost_pico, tokens, input_tokens, output_tokens";
    private const long PicoPerDollar = 1_000_000_000_000;
    private const NumberStyles MoneyStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;

    private const string RecordColumns = """
        sequence, time, keys, user, requested_model, model, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
        tokens, cost_units, cost_pico, held, spent_after, outcome, marks, reason, refused_key, refused_window, max_output_tokens,
        duration, trace_id, id
        """;

    private static readonly string[] OutcomeNames = [.. Enum.GetValues<BudgetSpendOutcome>().Select(BudgetSpendNames.ToName)];

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insertRecord;
    private readonly SqliteCommand _insertKey;

    public SqliteSpendRecords(SqliteConnection connection)
    {
        _connection = connection;
        _insertRecord = Command(
            connection,
            """
            INSERT INTO spend_records (project, time, keys, user, requested_model, model, input_tokens, cached_input_tokens, output_tokens,
                reasoning_tokens, tokens, cost_units, cost_pico, held, spent_after, outcome, marks, reason, refused_key, refused_window,
                max_output_tokens, duration, trace_id, id)
            VALUES ($project, $time, $keys, $user, $requested_model, $model, $input_tokens, $cached_input_tokens, $output_tokens,
                $reasoning_tokens, $tokens, $cost_units, $cost_pico, $held, $spent_after, $outcome, $marks, $reason, $refused_key, $refused_window,
                $max_output_tokens, $duration, $trace_id, $id)
            RETURNING sequence;
            """);
        _insertKey = Command(
            connection,
            """
            INSERT INTO spend_record_keys (project, budget_key, time, record, outcome, cost_units, cost_pico, tokens, input_tokens, output_tokens)
            VALUES ($project, $key, $time, $record, $outcome, $cost_units, $cost_pico, $tokens, $input_tokens, $output_tokens);
            """);
    }

    /// <summary>Writes a record in the caller's transaction; its sequence is assigned here, its time kept.</summary>
    public void Insert(SqliteTransaction transaction, string project, BudgetSpendRecord record)
    {
        (long units, long pico) = SplitCost(record.Cost);
        long time = record.Time.UtcTicks;
        string outcome = BudgetSpendNames.ToName(record.Outcome);
        object[] values =
        [
            project,
            time,
            JsonSerializer.Serialize([.. record.Keys], SqliteRowJsonContext.Default.StringArray),
            Nullable(record.User),
            Nullable(record.RequestedModel),
            Nullable(record.Model),
            Nullable(record.InputTokens),
            Nullable(record.CachedInputTokens),
            Nullable(record.OutputTokens),
            Nullable(record.ReasoningTokens),
            record.Tokens,
            units,
            pico,
            Money(record.Held),
            record.SpentAfter is { } spentAfter ? Money(spentAfter) : DBNull.Value,
            outcome,
            BudgetSpendNames.ToNames(record.Marks),
            Nullable(record.Reason),
            Nullable(record.RefusedKey),
            Nullable(record.RefusedWindow),
            record.MaxOutputTokens is { } max ? max : DBNull.Value,
            record.Duration is { } duration ? duration.Ticks : DBNull.Value,
            Nullable(record.TraceId),
            Nullable(record.Id),
        ];
        Bind(_insertRecord, transaction, values);
        long sequence = (long)_insertRecord.ExecuteScalar()!;

        foreach (string key in record.Keys)
        {
            Bind(_insertKey, transaction, [project, key, time, sequence, outcome, units, pico, record.Tokens, Nullable(record.InputTokens), Nullable(record.OutputTokens)]);
            _insertKey.ExecuteNonQuery();
        }
    }

    /// <summary>Reads a page of a project's records (on any connection to the database).</summary>
    public static BudgetSpendPage Query(SqliteConnection connection, string project, BudgetSpendQuery query)
    {
        using SqliteCommand command = connection.CreateCommand();
        var where = new Filter(command, project, query);
        string order = query.OldestFirst ? "ASC" : "DESC";
        command.CommandText = $"SELECT {RecordColumns} FROM spend_records r WHERE {where.Records()} ORDER BY r.sequence {order} LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", query.Limit + 1);

        var records = new List<BudgetSpendRecord>(Math.Min(query.Limit, 1024));
        long? next = null;
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (records.Count == query.Limit)
            {
                next = records[^1].Sequence;
                break;
            }

            records.Add(ReadRecord(reader));
        }

        return new BudgetSpendPage(records, next);
    }

    /// <summary>Adds up a project's records by a grouping (on any connection to the database), ordered as <see cref="IBudgetSpendLog.GroupSpendAsync"/> says.</summary>
    public static IReadOnlyList<BudgetSpendGroup> Group(SqliteConnection connection, string project, BudgetSpendQuery query, BudgetSpendGrouping grouping)
    {
        using SqliteCommand command = connection.CreateCommand();
        var where = new Filter(command, project, query);

        // Every query reads (hour, outcome, value) and then the sums; what is not grouped by is NULL.
        bool keyTableHasAll = query.User is null && query.Model is null && query.Marks == BudgetSpendMarks.None;
        command.CommandText = grouping switch
        {
            // Every (record, key) pair of the project, in key order: one pass over the key table.
            BudgetSpendGrouping.Key when keyTableHasAll && query.Key is null =>
                $"SELECT NULL, NULL, k.budget_key, {Sums("k")} FROM spend_record_keys k WHERE {where.Keys()} GROUP BY k.budget_key;",

            // Filtered by user, model, marks or one of their keys: every key of the records that pass, from their rows.
            BudgetSpendGrouping.Key =>
                $"SELECT NULL, NULL, j.value, {Sums("r")} FROM spend_records r, json_each(r.keys) j WHERE {where.Records()} GROUP BY j.value;",

            // One key's records, added up from the key table alone (what BudgetSpendVerifier asks).
            BudgetSpendGrouping.None or BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour or BudgetSpendGrouping.Outcome when query.Key is not null && keyTableHasAll =>
                $"SELECT {ByTime(grouping, "k")}, NULL, {Sums("k")} FROM spend_record_keys k WHERE {where.Keys()} {GroupByTime(grouping, "k")};",

            BudgetSpendGrouping.None or BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour or BudgetSpendGrouping.Outcome =>
                $"SELECT {ByTime(grouping, "r")}, NULL, {Sums("r")} FROM spend_records r {TimeIndex(query)} WHERE {where.Records()} {GroupByTime(grouping, "r")};",

            // By hour, outcome and model, the order of spend_records_by_time: one pass without sorting.
            BudgetSpendGrouping.Model =>
                $"SELECT r.{HourOfTime}, r.outcome, r.model, {Sums("r")} FROM spend_records r {TimeIndex(query)} WHERE {where.Records()} GROUP BY r.{HourOfTime}, r.outcome, r.model;",

            // A whole project (or most of it) in user order; a narrow time range read and sorted.
            BudgetSpendGrouping.User =>
                $"SELECT NULL, NULL, r.user, {Sums("r")} FROM spend_records r {UserIndex(connection, project, query)} WHERE {where.Records()} GROUP BY r.user;",

            _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping, null),
        };

        var groups = new GroupTable();
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                string? value = grouping switch
                {
                    BudgetSpendGrouping.None => null,
                    BudgetSpendGrouping.Day => HourStart(reader.GetInt64(0)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    BudgetSpendGrouping.Hour => HourStart(reader.GetInt64(0)).ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture),
                    BudgetSpendGrouping.Outcome => reader.GetString(1),
                    _ => reader.IsDBNull(2) ? null : reader.GetString(2),
                };
                groups.Add(value, reader);
            }
        }

        List<BudgetSpendGroup> result = groups.ToGroups();
        if (grouping == BudgetSpendGrouping.None && result.Count == 0)
        {
            result.Add(new BudgetSpendGroup());
        }

        return grouping is BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour
            ? [.. result.OrderBy(g => g.Value, StringComparer.Ordinal)]
            : [.. result.OrderByDescending(g => g.Cost).ThenBy(g => g.Value, StringComparer.Ordinal)];
    }

    /// <summary>Lists the projects that have records, in order (one index seek per project).</summary>
    public static List<string> ProjectsWithRecords(SqliteConnection connection)
    {
        var projects = new List<string>();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT project FROM spend_records INDEXED BY spend_records_by_project WHERE project > $after ORDER BY project LIMIT 1;";
        SqliteParameter after = command.Parameters.AddWithValue("$after", string.Empty);
        while (command.ExecuteScalar() is string project)
        {
            projects.Add(project);
            after.Value = project;
        }

        return projects;
    }

    /// <summary>Deletes up to <see cref="PruneBatchSize"/> of a project's records older than a time, in the caller's transaction.</summary>
    /// <returns>How many were deleted: fewer than <see cref="PruneBatchSize"/> when none older is left.</returns>
    public int PruneBatch(SqliteTransaction transaction, string project, DateTimeOffset before)
    {
        long ticks = before.UtcTicks;
        var old = new List<(long Sequence, long Time, string Keys)>(PruneBatchSize);
        using (SqliteCommand select = _connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"""
                SELECT sequence, time, keys FROM spend_records INDEXED BY spend_records_by_time
                WHERE project = $project AND {HourOfTime} <= $hour AND time < $before LIMIT {PruneBatchSize};
                """;
            select.Parameters.AddWithValue("$project", project);
            select.Parameters.AddWithValue("$hour", ticks / TimeSpan.TicksPerHour);
            select.Parameters.AddWithValue("$before", ticks);
            using SqliteDataReader reader = select.ExecuteReader();
            while (reader.Read())
            {
                old.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
            }
        }

        using SqliteCommand deleteKey = Command(_connection, "DELETE FROM spend_record_keys WHERE project = $project AND budget_key = $key AND time = $time AND record = $record;");
        using SqliteCommand deleteRecord = Command(_connection, "DELETE FROM spend_records WHERE sequence = $sequence;");
        foreach ((long sequence, long time, string keys) in old)
        {
            foreach (string key in JsonSerializer.Deserialize(keys, SqliteRowJsonContext.Default.StringArray) ?? [])
            {
                Bind(deleteKey, transaction, [project, key, time, sequence]);
                deleteKey.ExecuteNonQuery();
            }

            Bind(deleteRecord, transaction, [sequence]);
            deleteRecord.ExecuteNonQuery();
        }

        return old.Count;
    }

    public void Dispose()
    {
        _insertRecord.Dispose();
        _insertKey.Dispose();
    }

    // A cost of at most 1e12 at 12 places: whole dollars and the rest in 1e-12 dollars, both exact in a long.
    internal static (long Units, long Pico) SplitCost(decimal cost)
    {
        decimal units = decimal.Truncate(cost);
        return ((long)units, (long)((cost - units) * PicoPerDollar));
    }

    internal static decimal JoinCost(long units, long micro, long pico) => units + (micro / 1_000_000m) + (pico / (decimal)PicoPerDollar);

    // Whether a time range holds few of the project's records (a third or less, judged by their sequence numbers): then
    // reading the range and sorting it beats reading the project in a group's order.
    private static bool IsNarrow(SqliteConnection connection, string project, BudgetSpendQuery query)
    {
        if (query.From is null && query.To is null)
        {
            return false;
        }

        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT
                (SELECT sequence FROM spend_records INDEXED BY spend_records_by_project WHERE project = $project ORDER BY sequence LIMIT 1),
                (SELECT sequence FROM spend_records INDEXED BY spend_records_by_project WHERE project = $project ORDER BY sequence DESC LIMIT 1),
                (SELECT sequence FROM spend_records INDEXED BY spend_records_by_time WHERE project = $project AND {HourOfTime} >= $from ORDER BY {HourOfTime} LIMIT 1),
                (SELECT sequence FROM spend_records INDEXED BY spend_records_by_time WHERE project = $project AND {HourOfTime} <= $to ORDER BY {HourOfTime} DESC LIMIT 1);
            """;
        command.Parameters.AddWithValue("$project", project);
        command.Parameters.AddWithValue("$from", (query.From ?? DateTimeOffset.MinValue).UtcTicks / TimeSpan.TicksPerHour);
        command.Parameters.AddWithValue("$to", (query.To ?? DateTimeOffset.MaxValue).UtcTicks / TimeSpan.TicksPerHour);
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read() || reader.IsDBNull(0) || reader.IsDBNull(2) || reader.IsDBNull(3))
        {
            return true;
        }

        long all = reader.GetInt64(1) - reader.GetInt64(0);
        long range = Math.Abs(reader.GetInt64(3) - reader.GetInt64(2));
        return range * 3 <= all;
    }

    // What a group adds up: calls, refusals, the cost in three integer parts, tokens, input and output tokens.
    private static string Sums(string t) => $"""
        count(*) - coalesce(sum({t}.outcome IN ('reset', 'adjusted')), 0), coalesce(sum({t}.outcome = 'refused'), 0),
        coalesce(sum({t}.cost_units), 0), coalesce(sum({t}.cost_pico / 1000000), 0), coalesce(sum({t}.cost_pico % 1000000), 0),
        coalesce(sum({t}.tokens), 0), coalesce(sum({t}.input_tokens), 0), coalesce(sum({t}.output_tokens), 0)
        """;

    // Hours, days and outcomes are grouped by hour and outcome, the order of spend_records_by_time, so that SQLite adds
    // up in one pass without sorting; the groups are merged by GroupTable.
    private static string ByTime(BudgetSpendGrouping grouping, string t) =>
        grouping == BudgetSpendGrouping.None ? "NULL, NULL" : $"{t}.{HourOfTime}, {t}.outcome";

    private static string GroupByTime(BudgetSpendGrouping grouping, string t) =>
        grouping == BudgetSpendGrouping.None ? string.Empty : $"GROUP BY {t}.{HourOfTime}, {t}.outcome";

    // Without a user or key to narrow it down, a group reads the time range in spend_records_by_time's order.
    private static string TimeIndex(BudgetSpendQuery query) =>
        query.User is null && query.Key is null ? "INDEXED BY spend_records_by_time" : string.Empty;

    // A group by user with no user, model or key filter reads the project in user order, unless its time range holds
    // few of the project's records: then the range is read by time and sorted.
    private static string UserIndex(SqliteConnection connection, string project, BudgetSpendQuery query) =>
        query.User is not null || query.Model is not null || query.Key is not null ? string.Empty
        : IsNarrow(connection, project, query) ? "INDEXED BY spend_records_by_time"
        : "INDEXED BY spend_records_by_user";

    private static DateTime HourStart(long hour) => new(hour * TimeSpan.TicksPerHour, DateTimeKind.Utc);

    private static BudgetSpendRecord ReadRecord(SqliteDataReader reader)
    {
        long sequence = reader.GetInt64(0);
        try
        {
            return new BudgetSpendRecord
            {
                Sequence = sequence,
                Time = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
                Keys = JsonSerializer.Deserialize(reader.GetString(2), SqliteRowJsonContext.Default.StringArray) ?? throw new FormatException("keys is null."),
                User = NullableString(reader, 3),
                RequestedModel = NullableString(reader, 4),
                Model = NullableString(reader, 5),
                InputTokens = NullableLong(reader, 6),
                CachedInputTokens = NullableLong(reader, 7),
                OutputTokens = NullableLong(reader, 8),
                ReasoningTokens = NullableLong(reader, 9),
                Tokens = reader.GetInt64(10),
                Cost = JoinCost(reader.GetInt64(11), 0, reader.GetInt64(12)),
                Held = ParseMoney(reader.GetString(13)),
                SpentAfter = reader.IsDBNull(14) ? null : ParseMoney(reader.GetString(14)),
                Outcome = BudgetSpendNames.TryParseOutcome(reader.GetString(15), out BudgetSpendOutcome outcome) ? outcome : throw new FormatException($"unknown outcome '{reader.GetString(15)}'."),
                Marks = BudgetSpendNames.ParseMarks(reader.GetString(16)),
                Reason = NullableString(reader, 17),
                RefusedKey = NullableString(reader, 18),
                RefusedWindow = NullableString(reader, 19),
                MaxOutputTokens = reader.IsDBNull(20) ? null : checked((int)reader.GetInt64(20)),
                Duration = reader.IsDBNull(21) ? null : TimeSpan.FromTicks(reader.GetInt64(21)),
                TraceId = NullableString(reader, 22),
                Id = NullableString(reader, 23),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or JsonException or ArgumentException)
        {
            throw new InvalidDataException($"Spend record {sequence} cannot be read: {ex.Message}", ex);
        }
    }

    private static string? NullableString(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static long? NullableLong(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);

    private static object Nullable(string? value) => (object?)value ?? DBNull.Value;

    private static object Nullable(long? value) => value is { } v ? v : DBNull.Value;

    private static string Money(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);

    private static decimal ParseMoney(string text) => decimal.Parse(text, MoneyStyle, CultureInfo.InvariantCulture);

    // A command whose parameters are its $names in the order they first appear, to be bound by Bind in that order.
    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (string name in ParameterName().Matches(sql).Select(m => m.Value).Distinct(StringComparer.Ordinal))
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    [GeneratedRegex(@"\$[a-z_]+")]
    private static partial Regex ParameterName();

    private static void Bind(SqliteCommand command, SqliteTransaction transaction, ReadOnlySpan<object> values)
    {
        command.Transaction = transaction;
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }

    /// <summary>The WHERE clauses of a query, on spend_records (<c>r</c>) or spend_record_keys (<c>k</c>), with their parameters.</summary>
    private readonly struct Filter
    {
        private static readonly (BudgetSpendMarks Mark, string Parameter)[] MarkParameters =
            [(BudgetSpendMarks.Reduced, "$mark_reduced"), (BudgetSpendMarks.Downgraded, "$mark_downgraded"), (BudgetSpendMarks.WouldRefuse, "$mark_would_refuse")];

        private readonly BudgetSpendQuery _query;

        public Filter(SqliteCommand command, string project, BudgetSpendQuery query)
        {
            _query = query;
            command.Parameters.AddWithValue("$project", project);
            if (query.From is { } from)
            {
                command.Parameters.AddWithValue("$from", from.UtcTicks);
                command.Parameters.AddWithValue("$from_hour", from.UtcTicks / TimeSpan.TicksPerHour);
            }

            if (query.To is { } to)
            {
                command.Parameters.AddWithValue("$to", to.UtcTicks);
                command.Parameters.AddWithValue("$to_hour", to.UtcTicks / TimeSpan.TicksPerHour);
            }

            AddIfSet(command, "$user", query.User);
            AddIfSet(command, "$model", query.Model);
            AddIfSet(command, "$key", query.Key);
            AddIfSet(command, "$outcome", query.Outcome is { } outcome ? BudgetSpendNames.ToName(outcome) : null);
            AddIfSet(command, "$after", query.After);
            AddIfSet(command, "$before", query.Before);
            foreach ((BudgetSpendMarks mark, string parameter) in MarkParameters)
            {
                if (query.Marks.HasFlag(mark))
                {
                    command.Parameters.AddWithValue(parameter, "," + BudgetSpendNames.ToNames(mark) + ",");
                }
            }
        }

        /// <summary>The conditions on <c>spend_records r</c>; a key filter looks the key up in spend_record_keys.</summary>
        public string Records()
        {
            var where = new StringBuilder("r.project = $project");
            BudgetSpendQuery q = _query;
            if (q.From is not null)
            {
                // The hour as well as the time, so that SQLite can read the range from spend_records_by_time.
                where.Append($" AND r.{HourOfTime} >= $from_hour AND r.time >= $from");
            }

            if (q.To is not null)
            {
                where.Append($" AND r.{HourOfTime} <= $to_hour AND r.time < $to");
            }

            where.Append(q.User is null ? string.Empty : " AND r.user = $user")
                .Append(q.Model is null ? string.Empty : " AND r.model = $model")
                .Append(q.Outcome is null ? string.Empty : " AND r.outcome = $outcome")
                .Append(q.After is null ? string.Empty : " AND r.sequence > $after")
                .Append(q.Before is null ? string.Empty : " AND r.sequence < $before");
            foreach ((BudgetSpendMarks mark, string parameter) in MarkParameters)
            {
                if (q.Marks.HasFlag(mark))
                {
                    where.Append(" AND instr(',' || r.marks || ',', ").Append(parameter).Append(") > 0");
                }
            }

            if (q.Key is not null)
            {
                where.Append(" AND r.sequence IN (SELECT k.record FROM spend_record_keys k WHERE ").Append(Keys()).Append(')');
            }

            return where.ToString();
        }

        /// <summary>The conditions on <c>spend_record_keys k</c>: project, key, time, outcome and sequence (not user, model or marks).</summary>
        public string Keys()
        {
            BudgetSpendQuery q = _query;
            return new StringBuilder("k.project = $project")
                .Append(q.Key is null ? string.Empty : " AND k.budget_key = $key")
                .Append(q.From is null ? string.Empty : " AND k.time >= $from")
                .Append(q.To is null ? string.Empty : " AND k.time < $to")
                .Append(q.Outcome is null ? string.Empty : " AND k.outcome = $outcome")
                .Append(q.After is null ? string.Empty : " AND k.record > $after")
                .Append(q.Before is null ? string.Empty : " AND k.record < $before")
                .ToString();
        }

        private static void AddIfSet(SqliteCommand command, string name, object? value)
        {
            if (value is not null)
            {
                command.Parameters.AddWithValue(name, value);
            }
        }
    }

    /// <summary>Groups read from SQL (columns 3 to 10: calls, refused, dollars, millionths, the rest, tokens, input, output), merged by value.</summary>
    private sealed class GroupTable
    {
        private readonly Dictionary<string, Totals> _groups = new(StringComparer.Ordinal);
        private Totals? _null;

        public void Add(string? value, SqliteDataReader reader)
        {
            Totals totals = value is null
                ? _null ??= new Totals()
                : CollectionsMarshal.GetValueRefOrAddDefault(_groups, value, out _) ??= new Totals();
            totals.Calls += reader.GetInt64(3);
            totals.Refused += reader.GetInt64(4);
            totals.Units += reader.GetInt64(5);
            totals.Micro += reader.GetInt64(6);
            totals.Pico += reader.GetInt64(7);
            totals.Tokens += reader.GetInt64(8);
            totals.InputTokens += reader.GetInt64(9);
            totals.OutputTokens += reader.GetInt64(10);
        }

        public List<BudgetSpendGroup> ToGroups()
        {
            var groups = new List<BudgetSpendGroup>(_groups.Count + 1);
            if (_null is not null)
            {
                groups.Add(_null.ToGroup(null));
            }

            foreach (KeyValuePair<string, Totals> pair in _groups)
            {
                groups.Add(pair.Value.ToGroup(pair.Key));
            }

            return groups;
        }

        private sealed class Totals
        {
            public long Calls;
            public long Refused;
            public long Units;
            public long Micro;
            public long Pico;
            public long Tokens;
            public long InputTokens;
            public long OutputTokens;

            public BudgetSpendGroup ToGroup(string? value) => new()
            {
                Value = value,
                Calls = Calls,
                Refused = Refused,
                Cost = JoinCost(Units, Micro, Pico),
                Tokens = Tokens,
                InputTokens = InputTokens,
                OutputTokens = OutputTokens,
            };
        }
    }
}
