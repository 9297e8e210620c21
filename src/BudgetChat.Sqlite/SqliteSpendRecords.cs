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
/// <c>spend_records</c> holds one row per record, keyed by project and <see cref="BudgetSpendRecord.Sequence"/>, which
/// the store numbers per project from <c>projects.spend_sequence</c> (a row every write transaction writes anyway, and
/// that is never deleted, so a number is never given twice, not even after every record was pruned). Times and
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
/// What a settle writes is kept to what must be there at once: the row, and one entry in
/// <c>spend_records_by_time</c>, whose order (project, UTC hour, outcome, model) puts each new entry at the end and lets
/// SQLite add up a time range by hour, day, outcome or model in one pass without sorting (the groups are merged here).
/// The record's keys (a JSON array in its row, read back in order) and user are indexed in <c>spend_index</c>, one row
/// per key and one for the user, with what a group adds up, so that a key's spend in a window (what
/// <see cref="BudgetSpendVerifier"/> asks) or the spend by user is read from it alone. Those rows land all over the
/// table, so they are written in batches: when <see cref="IndexBatchSize"/> records wait (past
/// <c>projects.spend_indexed</c>), the write that adds the next indexes them all. Every query of keys or users adds up
/// what <c>spend_index</c> holds and the few records past it, read in the same statement.
/// </para>
/// <para>Not thread-safe: the store uses it under its gate.</para>
/// </remarks>
internal sealed partial class SqliteSpendRecords : IDisposable
{
    /// <summary>The tables and indexes of schema version 4, added to those of version 3.</summary>
    internal const string CreateSchemaSql = $$"""
        ALTER TABLE projects ADD COLUMN spend_sequence INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE projects ADD COLUMN spend_indexed INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE spend_records (
            project TEXT NOT NULL,
            sequence INTEGER NOT NULL,
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
            id TEXT,
            PRIMARY KEY (project, sequence)
        ) WITHOUT ROWID;
        CREATE INDEX spend_records_by_time ON spend_records (project, {{HourOfTime}}, outcome, model, time, user, {{Totals}});
        CREATE TABLE spend_index (
            project TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            time INTEGER NOT NULL,
            record INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            cost_units INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            PRIMARY KEY (project, kind, name, time, record)
        ) WITHOUT ROWID;
        """;

    /// <summary>The table of schema version 5, added to those of version 4 and filled from <c>spend_index</c>.</summary>
    internal static readonly string CreateDailySchemaSql = $$"""
        CREATE TABLE spend_daily (
            project TEXT NOT NULL,
            kind TEXT NOT NULL,
            day INTEGER NOT NULL,
            name TEXT NOT NULL,
            outcome TEXT NOT NULL,
            records INTEGER NOT NULL,
            {{DailyTotals}},
            PRIMARY KEY (project, kind, day, name, outcome)
        ) WITHOUT ROWID;
        INSERT INTO spend_daily (project, kind, day, name, outcome, records, {{DailyTotalNames}})
        SELECT i.project, i.kind, i.time / {{DayTicks}}, i.name, i.outcome, count(*), {{Sums("i")}}
        FROM spend_index i WHERE true GROUP BY i.project, i.kind, i.time / {{DayTicks}}, i.name, i.outcome;
        """;

    /// <summary>How many records one transaction of <see cref="PruneBatch"/> deletes at most.</summary>
    internal const int PruneBatchSize = 100;

    /// <summary>How many records may wait to be indexed in <c>spend_index</c> before a write indexes them.</summary>
    internal const int IndexBatchSize = 512;

    private const long TicksPerDay = TimeSpan.TicksPerDay;

    // TicksPerDay as SQL spells it: a UTC day number is time / DayTicks.
    private const string DayTicks = "864000000000";

    // What a row of spend_daily adds up (the columns of Sums, made by Sums of spend_index's rows), and their names.
    private const string DailyTotals = """
        calls INTEGER NOT NULL, refused INTEGER NOT NULL, cost_units INTEGER NOT NULL, cost_micro INTEGER NOT NULL, cost_rest INTEGER NOT NULL,
        tokens INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL
        """;

    private const string DailyTotalNames = "calls, refused, cost_units, cost_micro, cost_rest, tokens, input_tokens, output_tokens";

    // The rows of spend_index of a project's records after $after up to $last: one per key, and one for the user (or none).
    private const string IndexRows = $"""
        SELECT r.project AS project, {KeyKind} AS kind, j.value AS name, r.time AS time, r.sequence AS record, r.outcome AS outcome,
            r.cost_units AS cost_units, r.cost_pico AS cost_pico, r.tokens AS tokens, r.input_tokens AS input_tokens, r.output_tokens AS output_tokens
        FROM spend_records r, json_each(r.keys) j WHERE r.project = $project AND r.sequence > $after AND r.sequence <= $last
        UNION ALL
        SELECT r.project, CASE WHEN r.user IS NULL THEN {NoUserKind} ELSE {UserKind} END, coalesce(r.user, ''), r.time, r.sequence, r.outcome,
            r.cost_units, r.cost_pico, r.tokens, r.input_tokens, r.output_tokens
        FROM spend_records r WHERE r.project = $project AND r.sequence > $after AND r.sequence <= $last
        """;

    // Adds what an upsert brings (excluded) to a row of spend_daily.
    private const string DailyAdd = """
        calls = calls + excluded.calls, refused = refused + excluded.refused, cost_units = cost_units + excluded.cost_units,
        cost_micro = cost_micro + excluded.cost_micro, cost_rest = cost_rest + excluded.cost_rest, tokens = tokens + excluded.tokens,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens
        """;

    // A row of spend_daily (d) as it is, in the columns of Sums.
    private const string DailyRows = "d.calls, d.refused, d.cost_units, d.cost_micro, d.cost_rest, d.tokens, d.input_tokens, d.output_tokens";

    // What a group of spend_daily's rows (d) adds up, in the columns of Sums.
    private const string DailyColumns = """
        sum(d.calls), sum(d.refused), sum(d.cost_units), sum(d.cost_micro), sum(d.cost_rest), sum(d.tokens), sum(d.input_tokens), sum(d.output_tokens)
        """;

    // The UTC hour of a record, as the index spells it: a query must use the same expression for SQLite to use the index.
    private const string HourOfTime = "time / 36000000000";
    private const string Totals = "cost_units, cost_pico, tokens, input_tokens, output_tokens";
    private const string TimeIndex = "INDEXED BY spend_records_by_time";
    private const long PicoPerDollar = 1_000_000_000_000;
    private const NumberStyles MoneyStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;

    // spend_index.kind: a row per key of a record, and one for its user (or for none, named '').
    private const string KeyKind = "'key'";
    private const string UserKind = "'user'";
    private const string NoUserKind = "'nouser'";

    // The records past this sequence are not in spend_index yet; read in the statement that reads spend_index.
    private const string Indexed = "coalesce((SELECT spend_indexed FROM projects WHERE name = $project), 0)";

    private const string RecordColumns = """
        r.sequence, r.time, r.keys, r.user, r.requested_model, r.model, r.input_tokens, r.cached_input_tokens, r.output_tokens,
        r.reasoning_tokens, r.tokens, r.cost_units, r.cost_pico, r.held, r.spent_after, r.outcome, r.marks, r.reason, r.refused_key,
        r.refused_window, r.max_output_tokens, r.duration, r.trace_id, r.id
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insertRecord;
    private readonly SqliteCommand _index;

    public SqliteSpendRecords(SqliteConnection connection)
    {
        _connection = connection;
        _insertRecord = Command(
            connection,
            """
            INSERT INTO spend_records (project, sequence, time, keys, user, requested_model, model, input_tokens, cached_input_tokens, output_tokens,
                reasoning_tokens, tokens, cost_units, cost_pico, held, spent_after, outcome, marks, reason, refused_key, refused_window,
                max_output_tokens, duration, trace_id, id)
            VALUES ($project, $sequence, $time, $keys, $user, $requested_model, $model, $input_tokens, $cached_input_tokens, $output_tokens,
                $reasoning_tokens, $tokens, $cost_units, $cost_pico, $held, $spent_after, $outcome, $marks, $reason, $refused_key, $refused_window,
                $max_output_tokens, $duration, $trace_id, $id);
            """);
        _index = Command(
            connection,
            $"""
            INSERT INTO spend_index (project, kind, name, time, record, outcome, {Totals}) {IndexRows};
            INSERT INTO spend_daily (project, kind, day, name, outcome, records, {DailyTotalNames})
            SELECT i.project, i.kind, i.time / {DayTicks}, i.name, i.outcome, count(*), {Sums("i")}
            FROM ({IndexRows}) i WHERE true GROUP BY i.project, i.kind, i.time / {DayTicks}, i.name, i.outcome
            ON CONFLICT (project, kind, day, name, outcome) DO UPDATE SET records = records + excluded.records, {DailyAdd};
            """);
    }

    /// <summary>Writes a record in the caller's transaction, with the sequence the caller took from the project's row.</summary>
    public void Insert(SqliteTransaction transaction, string project, long sequence, BudgetSpendRecord record)
    {
        (long units, long pico) = SplitCost(record.Cost);
        object[] values =
        [
            project,
            sequence,
            record.Time.UtcTicks,
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
            BudgetSpendNames.ToName(record.Outcome),
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
        _insertRecord.ExecuteNonQuery();
    }

    /// <summary>Indexes a project's records after <paramref name="after"/> up to <paramref name="last"/> in spend_index, in the caller's transaction.</summary>
    public void Index(SqliteTransaction transaction, string project, long after, long last)
    {
        Bind(_index, transaction, [project, after, last]);
        _index.ExecuteNonQuery();
    }

    /// <summary>Reads a page of a project's records (on any connection to the database).</summary>
    public static BudgetSpendPage Query(SqliteConnection connection, string project, BudgetSpendQuery query)
    {
        using SqliteCommand command = connection.CreateCommand();
        var filter = new Filter(command, project, query);
        string order = query.OldestFirst ? "ASC" : "DESC";
        command.CommandText = $"SELECT {RecordColumns} FROM spend_records r WHERE {filter.Records(joined: false)} ORDER BY r.sequence {order} LIMIT $limit;";
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
        var filter = new Filter(command, project, query);

        // Every SELECT reads (hour, outcome, value) and then the sums; what is not grouped by is NULL. Several SELECTs
        // (spend_index and the records not in it yet) are one statement, so they read one state of the database.
        command.CommandText = grouping switch
        {
            BudgetSpendGrouping.Key or BudgetSpendGrouping.User when filter.ByDay is { } days => Daily(grouping, filter, days, grouped: query.Top is null),
            BudgetSpendGrouping.Key =>
                $"SELECT NULL, NULL, j.value, {Sums("r")} FROM {filter.Source()}, json_each(r.keys) j WHERE {filter.Records(joined: true)} GROUP BY j.value;",
            BudgetSpendGrouping.User =>
                $"SELECT NULL, NULL, r.user, {Sums("r")} FROM {filter.Source()} WHERE {filter.Records(joined: true)} GROUP BY r.user;",

            // One key's or user's records, added up from spend_index (what BudgetSpendVerifier asks) and those not in it yet.
            BudgetSpendGrouping.None or BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour or BudgetSpendGrouping.Outcome when filter.OnlyIndexed && filter.Name is { } name => $"""
                SELECT {ByTime(grouping, "i")}, NULL, {Sums("i")} FROM spend_index i WHERE {filter.Index("i", name.Kind)} {GroupByTime(grouping, "i")}
                UNION ALL
                SELECT {ByTime(grouping, "t")}, NULL, {Sums("t")} FROM spend_records t{name.TailJoin} WHERE {filter.Tail("t")} AND {name.TailCondition} {GroupByTime(grouping, "t")};
                """,
            BudgetSpendGrouping.None or BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour or BudgetSpendGrouping.Outcome =>
                $"SELECT {ByTime(grouping, "r")}, NULL, {Sums("r")} FROM {filter.Source()} WHERE {filter.Records(joined: true)} {GroupByTime(grouping, "r")};",

            // By hour, outcome and model, the order of spend_records_by_time: one pass without sorting.
            BudgetSpendGrouping.Model =>
                $"SELECT r.{HourOfTime}, r.outcome, r.model, {Sums("r")} FROM {filter.Source()} WHERE {filter.Records(joined: true)} GROUP BY r.{HourOfTime}, r.outcome, r.model;",

            _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping, null),
        };
        if (query.Top is { } top && grouping is BudgetSpendGrouping.User or BudgetSpendGrouping.Key or BudgetSpendGrouping.Model)
        {
            command.CommandText = Costliest(command.CommandText, top);
        }

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

        return BudgetSpendGroupOrder.Apply(result, grouping, query.Top);
    }

    /// <summary>Lists the projects that have records, in order (one seek per project).</summary>
    public static List<string> ProjectsWithRecords(SqliteConnection connection)
    {
        var projects = new List<string>();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT project FROM spend_records NOT INDEXED WHERE project > $after ORDER BY project LIMIT 1;";
        SqliteParameter after = command.Parameters.AddWithValue("$after", string.Empty);
        while (command.ExecuteScalar() is string project)
        {
            projects.Add(project);
            after.Value = project;
        }

        return projects;
    }

    /// <summary>
    /// Deletes up to <see cref="PruneBatchSize"/> of a project's records older than a time, with their rows in spend_index
    /// and what they added to spend_daily, in the caller's transaction.
    /// </summary>
    /// <returns>How many were deleted: fewer than <see cref="PruneBatchSize"/> when none older is left.</returns>
    public int PruneBatch(SqliteTransaction transaction, string project, DateTimeOffset before)
    {
        long ticks = before.UtcTicks;
        var old = new List<PrunedRecord>(PruneBatchSize);
        using (SqliteCommand select = _connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"""
                SELECT sequence, time, keys, user, outcome, cost_units, cost_pico, tokens, input_tokens, output_tokens FROM spend_records {TimeIndex}
                WHERE project = $project AND {HourOfTime} <= $hour AND time < $before LIMIT {PruneBatchSize};
                """;
            select.Parameters.AddWithValue("$project", project);
            select.Parameters.AddWithValue("$hour", ticks / TimeSpan.TicksPerHour);
            select.Parameters.AddWithValue("$before", ticks);
            using SqliteDataReader reader = select.ExecuteReader();
            while (reader.Read())
            {
                old.Add(new PrunedRecord(
                    reader.GetInt64(0),
                    reader.GetInt64(1),
                    reader.GetString(2),
                    NullableString(reader, 3),
                    reader.GetString(4),
                    reader.GetInt64(5),
                    reader.GetInt64(6),
                    reader.GetInt64(7),
                    NullableLong(reader, 8) ?? 0,
                    NullableLong(reader, 9) ?? 0));
            }
        }

        // Records not indexed yet have no rows in spend_index (deleting them deletes nothing) and added nothing to
        // spend_daily: what a row of spend_index added is taken back only when that row was there.
        using SqliteCommand deleteIndexed = Command(_connection, "DELETE FROM spend_index WHERE project = $project AND kind = $kind AND name = $name AND time = $time AND record = $record;");
        using SqliteCommand takeBack = Command(
            _connection,
            """
            UPDATE spend_daily SET records = records - 1, calls = calls - $call, refused = refused - $refused, cost_units = cost_units - $units,
                cost_micro = cost_micro - $pico / 1000000, cost_rest = cost_rest - $pico % 1000000, tokens = tokens - $tokens,
                input_tokens = input_tokens - $input, output_tokens = output_tokens - $output
            WHERE project = $project AND kind = $kind AND day = $day AND name = $name AND outcome = $outcome;
            DELETE FROM spend_daily WHERE project = $project AND kind = $kind AND day = $day AND name = $name AND outcome = $outcome AND records = 0;
            """);
        using SqliteCommand deleteRecord = Command(_connection, "DELETE FROM spend_records WHERE project = $project AND sequence = $sequence;");
        foreach (PrunedRecord record in old)
        {
            foreach (string key in JsonSerializer.Deserialize(record.Keys, SqliteRowJsonContext.Default.StringArray) ?? [])
            {
                Unindex(record, "key", key);
            }

            Unindex(record, record.User is null ? "nouser" : "user", record.User ?? string.Empty);
            Bind(deleteRecord, transaction, [project, record.Sequence]);
            deleteRecord.ExecuteNonQuery();
        }

        return old.Count;

        void Unindex(PrunedRecord record, string kind, string name)
        {
            Bind(deleteIndexed, transaction, [project, kind, name, record.Time, record.Sequence]);
            if (deleteIndexed.ExecuteNonQuery() == 0)
            {
                return;
            }

            bool checkpoint = record.Outcome is "reset" or "adjusted";
            Bind(
                takeBack,
                transaction,
                [checkpoint ? 0L : 1L, record.Outcome == "refused" ? 1L : 0L, record.Units, record.Pico, record.Tokens, record.InputTokens, record.OutputTokens,
                    project, kind, record.Time / TicksPerDay, name, record.Outcome]);
            takeBack.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        _insertRecord.Dispose();
        _index.Dispose();
    }

    // A cost of at most 1e12 at 12 places: whole dollars and the rest in 1e-12 dollars, both exact in a long.
    internal static (long Units, long Pico) SplitCost(decimal cost)
    {
        decimal units = decimal.Truncate(cost);
        return ((long)units, (long)((cost - units) * PicoPerDollar));
    }

    internal static decimal JoinCost(long units, long micro, long pico) => units + (micro / 1_000_000m) + (pico / (decimal)PicoPerDollar);

    // By key or user over whole UTC days from spend_daily (a row per key or user, day and outcome, of the records in
    // spend_index), plus the records not indexed yet in those days and, at either end of the range, the records of the
    // part of a day the range takes: each record is counted once, and the read does not grow with the records per day.
    // Its rows of spend_daily are added up per key or user here unless the statement is wrapped to cut the costliest
    // (grouped: false), which adds them up once for all its SELECTs.
    private static string Daily(BudgetSpendGrouping grouping, Filter filter, DayRange days, bool grouped)
    {
        string columns = grouped ? DailyColumns : DailyRows;
        bool byKey = grouping == BudgetSpendGrouping.Key;
        string Outcome(string t) => filter.HasOutcome ? $" AND {t}.outcome = $outcome" : string.Empty;
        var sql = new StringBuilder();
        sql.Append(byKey
                ? $"SELECT NULL, NULL, d.name, {columns} FROM spend_daily d WHERE d.project = $project AND d.kind = {KeyKind}"
                : $"SELECT NULL, NULL, CASE WHEN d.kind = {NoUserKind} THEN NULL ELSE d.name END, {columns} FROM spend_daily d WHERE d.project = $project AND d.kind IN ({UserKind}, {NoUserKind})")
            .Append(days.From is null ? string.Empty : " AND d.day >= $day_from")
            .Append(days.To is null ? string.Empty : " AND d.day < $day_to")
            .Append(Outcome("d"))
            .Append(!grouped ? string.Empty : byKey ? " GROUP BY d.name" : " GROUP BY d.kind, d.name");

        AppendRecords("t", string.Empty, $"t.sequence > {Indexed}"
            + (days.From is null ? string.Empty : " AND t.time >= $day_from_time")
            + (days.To is null ? string.Empty : " AND t.time < $day_to_time"));
        if (days.StartsInDay)
        {
            AppendRecords("r", TimeIndex, $"r.{HourOfTime} >= $from_hour AND r.{HourOfTime} <= $day_from_hour AND r.time >= $from AND r.time < $day_from_time");
        }

        if (days.EndsInDay)
        {
            AppendRecords("r", TimeIndex, $"r.{HourOfTime} >= $day_to_hour AND r.{HourOfTime} <= $to_hour AND r.time >= $day_to_time AND r.time < $to");
        }

        return sql.Append(';').ToString();

        // The records (alias t) a condition picks, grouped by key (one row per key of each) or by user.
        void AppendRecords(string t, string index, string condition)
        {
            string source = byKey ? $"spend_records {t} {index}, json_each({t}.keys) j" : $"spend_records {t} {index}";
            string grouped = byKey ? "j.value" : $"{t}.user";
            sql.Append(CultureInfo.InvariantCulture, $" UNION ALL SELECT NULL, NULL, {grouped}, {Sums(t)} FROM {source} WHERE {t}.project = $project AND {condition}")
                .Append(Outcome(t))
                .Append(CultureInfo.InvariantCulture, $" GROUP BY {grouped}");
        }
    }

    // The costliest groups of a statement of several SELECTs by value (column 3), added up and cut in SQL, so that only
    // those are read: the cost, units + micro / 1e6 + rest / 1e12, is ordered exactly as three integers (whole dollars
    // with what the parts below carry, then millionths, then the rest), ties by value (BINARY, which orders as ordinal
    // but for the rare ties between characters above U+FFFF and those from U+E000).
    private static string Costliest(string statement, int top) => string.Create(CultureInfo.InvariantCulture, $"""
        WITH g (hour, outcome, value, calls, refused, units, micro, rest, tokens, input, output) AS ({statement.TrimEnd().TrimEnd(';')})
        SELECT NULL, NULL, value, sum(calls), sum(refused), sum(units), sum(micro), sum(rest), sum(tokens), sum(input), sum(output)
        FROM g GROUP BY value
        ORDER BY sum(units) + (sum(micro) + sum(rest) / 1000000) / 1000000 DESC, (sum(micro) + sum(rest) / 1000000) % 1000000 DESC,
            sum(rest) % 1000000 DESC, value
        LIMIT {top};
        """);

    // What a group adds up: calls, refusals, the cost in three integer parts, tokens, input and output tokens.
    private static string Sums(string t) => $"""
        count(*) - coalesce(sum({t}.outcome IN ('reset', 'adjusted')), 0), coalesce(sum({t}.outcome = 'refused'), 0),
        coalesce(sum({t}.cost_units), 0), coalesce(sum({t}.cost_pico / 1000000), 0), coalesce(sum({t}.cost_pico % 1000000), 0),
        coalesce(sum({t}.tokens), 0), coalesce(sum({t}.input_tokens), 0), coalesce(sum({t}.output_tokens), 0)
        """;

    // Hours, days and outcomes are grouped by hour and outcome, the order of spend_records_by_time, so that SQLite adds
    // up in one pass without sorting; GroupTable merges the groups.
    private static string ByTime(BudgetSpendGrouping grouping, string t) =>
        grouping == BudgetSpendGrouping.None ? "NULL, NULL" : $"{t}.{HourOfTime}, {t}.outcome";

    private static string GroupByTime(BudgetSpendGrouping grouping, string t) =>
        grouping == BudgetSpendGrouping.None ? string.Empty : $"GROUP BY {t}.{HourOfTime}, {t}.outcome";

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

    /// <summary>Whole UTC days (numbers, <paramref name="To"/> excluded; <see langword="null"/> for no bound), and whether the range starts or ends inside a day.</summary>
    private readonly record struct DayRange(long? From, long? To, bool StartsInDay, bool EndsInDay);

    /// <summary>What pruning a record takes back from spend_index and spend_daily.</summary>
    private sealed record PrunedRecord(long Sequence, long Time, string Keys, string? User, string Outcome, long Units, long Pico, long Tokens, long InputTokens, long OutputTokens);

    /// <summary>A key or user filter: the spend_index rows of that name, and how the records not indexed yet are matched.</summary>
    private sealed record NameFilter(string Kind, string TailJoin, string TailCondition);

    /// <summary>The WHERE clauses of a query, with their parameters.</summary>
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

            if (OnlyIndexed && query.User is null && query.Key is null && query.After is null && query.Before is null)
            {
                // The whole days of the range: from the first midnight at or after From, to the last at or before To.
                long? fromDay = query.From is { } f ? (f.UtcTicks + TicksPerDay - 1) / TicksPerDay : null;
                long? toDay = query.To is { } t ? t.UtcTicks / TicksPerDay : null;
                if (fromDay is null || toDay is null || fromDay < toDay)
                {
                    ByDay = new DayRange(fromDay, toDay, query.From is { } start && start.UtcTicks < fromDay * TicksPerDay, query.To is { } end && end.UtcTicks > toDay * TicksPerDay);
                    AddDay(command, "from", fromDay);
                    AddDay(command, "to", toDay);
                }
            }

            Name = query.Key is not null ? new NameFilter(KeyKind, ", json_each(t.keys) j", "j.value = $key")
                : query.User is not null ? new NameFilter(UserKind, string.Empty, "t.user = $user")
                : null;
        }

        /// <summary>Gets the whole days of the range that spend_daily answers for a grouping by key or user, or <see langword="null"/> when it cannot.</summary>
        public DayRange? ByDay { get; }

        /// <summary>Gets a value indicating whether the query filters by outcome.</summary>
        public bool HasOutcome => _query.Outcome is not null;

        /// <summary>Gets the key filter, or else the user filter, that spend_index answers; <see langword="null"/> for neither.</summary>
        public NameFilter? Name { get; }

        /// <summary>Gets a value indicating whether spend_index holds every column the filters ask about (not the model or marks, and not both a key and a user).</summary>
        public bool OnlyIndexed => _query.Model is null && _query.Marks == BudgetSpendMarks.None && (_query.Key is null || _query.User is null);

        /// <summary>
        /// The records a group reads (<c>r</c>): with a key or user filter, those whose sequences spend_index and the records
        /// not indexed yet name, looked up one by one (CROSS JOIN makes SQLite start from the names); else all, read by time.
        /// </summary>
        public string Source() => Name is null
            ? $"spend_records r {TimeIndex}"
            : $"({Names()}) n CROSS JOIN spend_records r ON r.project = $project AND r.sequence = n.record";

        /// <summary>The conditions on records (<c>r</c>); <paramref name="joined"/> when they come from <see cref="Source"/>, else a key or user filter is a condition too.</summary>
        public string Records(bool joined)
        {
            var where = new StringBuilder("r.project = $project");
            if (Name is not null)
            {
                // Found by name: the unary + keeps SQLite from reading the time range or outcome of the whole project
                // from spend_records_by_time instead.
                where.Append(_query.From is null ? string.Empty : " AND +r.time >= $from")
                    .Append(_query.To is null ? string.Empty : " AND +r.time < $to")
                    .Append(_query.Outcome is null ? string.Empty : " AND +r.outcome = $outcome")
                    .Append(joined ? string.Empty : $" AND r.sequence IN ({Names()})");
            }
            else
            {
                // The hour as well as the time, so that SQLite reads the range from spend_records_by_time.
                where.Append(_query.From is null ? string.Empty : $" AND r.{HourOfTime} >= $from_hour AND r.time >= $from")
                    .Append(_query.To is null ? string.Empty : $" AND r.{HourOfTime} <= $to_hour AND r.time < $to")
                    .Append(_query.Outcome is null ? string.Empty : " AND r.outcome = $outcome");
            }

            where.Append(_query.User is null ? string.Empty : " AND r.user = $user")
                .Append(_query.Model is null ? string.Empty : " AND r.model = $model")
                .Append(_query.After is null ? string.Empty : " AND r.sequence > $after")
                .Append(_query.Before is null ? string.Empty : " AND r.sequence < $before");
            foreach ((BudgetSpendMarks mark, string parameter) in MarkParameters)
            {
                if (_query.Marks.HasFlag(mark))
                {
                    where.Append(" AND instr(',' || r.marks || ',', ").Append(parameter).Append(") > 0");
                }
            }

            return where.ToString();
        }

        // The sequences of the records a key or user filter names: spend_index's, and those of the records not indexed yet.
        private string Names()
        {
            NameFilter name = Name!;
            return $"SELECT i.record FROM spend_index i WHERE {Index("i", name.Kind)} "
                + $"UNION ALL SELECT t.sequence FROM spend_records t{name.TailJoin} WHERE t.project = $project AND t.sequence > {Indexed} AND {name.TailCondition}";
        }

        /// <summary>The conditions on the rows of spend_index (<paramref name="i"/>) of a kind: the filter's name, time, outcome and sequence.</summary>
        public string Index(string i, string kind)
        {
            string? name = kind == KeyKind ? (_query.Key is null ? null : "$key") : kind == UserKind ? (_query.User is null ? null : "$user") : null;
            return new StringBuilder().Append(CultureInfo.InvariantCulture, $"{i}.project = $project AND {i}.kind = {kind}")
                .Append(name is null ? string.Empty : $" AND {i}.name = {name}")
                .Append(_query.From is null ? string.Empty : $" AND {i}.time >= $from")
                .Append(_query.To is null ? string.Empty : $" AND {i}.time < $to")
                .Append(_query.Outcome is null ? string.Empty : $" AND {i}.outcome = $outcome")
                .Append(_query.After is null ? string.Empty : $" AND {i}.record > $after")
                .Append(_query.Before is null ? string.Empty : $" AND {i}.record < $before")
                .ToString();
        }

        /// <summary>The conditions on the records not in spend_index yet (<paramref name="t"/>): time, outcome and sequence.</summary>
        public string Tail(string t) => new StringBuilder().Append(CultureInfo.InvariantCulture, $"{t}.project = $project AND {t}.sequence > {Indexed}")
            .Append(_query.From is null ? string.Empty : $" AND {t}.time >= $from")
            .Append(_query.To is null ? string.Empty : $" AND {t}.time < $to")
            .Append(_query.Outcome is null ? string.Empty : $" AND {t}.outcome = $outcome")
            .Append(_query.After is null ? string.Empty : $" AND {t}.sequence > $after")
            .Append(_query.Before is null ? string.Empty : $" AND {t}.sequence < $before")
            .ToString();

        // $day_{end}: a day number; $day_{end}_time and _hour: its midnight in ticks and in hours.
        private static void AddDay(SqliteCommand command, string end, long? day)
        {
            if (day is { } d)
            {
                command.Parameters.AddWithValue($"$day_{end}", d);
                command.Parameters.AddWithValue($"$day_{end}_time", d * TicksPerDay);
                command.Parameters.AddWithValue($"$day_{end}_hour", d * 24);
            }
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
