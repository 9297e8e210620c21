using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using BudgetChat.Stores;

namespace BudgetChat.Sqlite;

public sealed partial class SqliteBudgetStore
{
    /// <summary>
    /// The statements of the hot path, prepared once per connection (Microsoft.Data.Sqlite keeps a command's compiled
    /// statement while its text is unchanged), and how records map to rows.
    /// </summary>
    private sealed class Statements : IDisposable
    {
        private const NumberStyles MoneyStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;

        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _readVersion;
        private readonly SqliteCommand _writeVersion;
        private readonly SqliteCommand _upsertBudget;
        private readonly SqliteCommand _deleteBudget;
        private readonly SqliteCommand _upsertReservation;
        private readonly SqliteCommand _deleteReservation;

        public Statements(SqliteConnection connection)
        {
            _connection = connection;
            _readVersion = Command("SELECT version, spend_sequence, spend_indexed FROM projects WHERE name = $project;", "$project");
            _writeVersion = Command(
                """
                INSERT INTO projects (name, version, spend_sequence, spend_indexed) VALUES ($project, $version, $spend_sequence, $spend_indexed)
                ON CONFLICT (name) DO UPDATE SET version = excluded.version, spend_sequence = excluded.spend_sequence, spend_indexed = excluded.spend_indexed;
                """,
                "$project",
                "$version",
                "$spend_sequence",
                "$spend_indexed");
            _upsertBudget = Command(
                """
                INSERT OR REPLACE INTO budgets (project, budget_key, limit_usd, period, alignment, alert_thresholds, anchor, window_start,
                    window_end, spent, reserved, spend_by_model, alerts_raised, created_at, updated_at, limit_name, enforcement, limits, windows)
                VALUES ($project, $key, $limit, $period, $alignment, $thresholds, $anchor, $window_start,
                    $window_end, $spent, $reserved, $by_model, $alerts, $created_at, $updated_at, $limit_name, $enforcement, $limits, $windows);
                """,
                "$project",
                "$key",
                "$limit",
                "$period",
                "$alignment",
                "$thresholds",
                "$anchor",
                "$window_start",
                "$window_end",
                "$spent",
                "$reserved",
                "$by_model",
                "$alerts",
                "$created_at",
                "$updated_at",
                "$limit_name",
                "$enforcement",
                "$limits",
                "$windows");
            _deleteBudget = Command("DELETE FROM budgets WHERE project = $project AND budget_key = $key;", "$project", "$key");
            _upsertReservation = Command(
                """
                INSERT OR REPLACE INTO reservations (project, id, state, budget_keys, holds, amount, expires_at, forget_at, tokens, model)
                VALUES ($project, $id, $state, $keys, $holds, $amount, $expires_at, $forget_at, $tokens, $model);
                """,
                "$project",
                "$id",
                "$state",
                "$keys",
                "$holds",
                "$amount",
                "$expires_at",
                "$forget_at",
                "$tokens",
                "$model");
            _deleteReservation = Command("DELETE FROM reservations WHERE project = $project AND id = $id;", "$project", "$id");
        }

        /// <summary>Reads a project's row: its version and where its spend ledger stands; all 0 for a project never written.</summary>
        public ProjectRow ReadProjectRow(SqliteTransaction transaction, string project)
        {
            _readVersion.Transaction = transaction;
            _readVersion.Parameters[0].Value = project;
            using SqliteDataReader reader = _readVersion.ExecuteReader();
            return reader.Read() ? new ProjectRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : default;
        }

        public void WriteProjectRow(SqliteTransaction transaction, string project, ProjectRow row)
        {
            Run(_writeVersion, transaction, project, row.Version, row.SpendSequence, row.SpendIndexed);
        }

        public void UpsertBudget(SqliteTransaction transaction, string project, BudgetRecord budget)
        {
            BudgetDefinition definition = budget.Definition;
            Run(
                _upsertBudget,
                transaction,
                project,
                budget.Key,
                Money(definition.Limit),
                BudgetPeriodNames.ToName(definition.Period),
                BudgetPeriodNames.ToName(definition.Alignment),
                string.Join(',', definition.AlertThresholds.Select(Money)),
                Time(budget.Anchor),
                Time(budget.WindowStart),
                budget.WindowEnd is { } end ? Time(end) : DBNull.Value,
                Money(budget.Spent),
                Money(budget.Reserved),
                SpendByModel(budget.SpendByModel),
                budget.AlertsRaised,
                Time(budget.CreatedAt),
                Time(budget.UpdatedAt),
                definition.Limits[0].Name,
                BudgetLimitNames.ToName(definition.Enforcement),
                OtherLimits(definition.Limits),
                OtherWindows(budget.Windows));
        }

        public void DeleteBudget(SqliteTransaction transaction, string project, string key) =>
            Run(_deleteBudget, transaction, project, key);

        public void UpsertReservation(SqliteTransaction transaction, string project, ReservationRecord reservation, DateTimeOffset? forgetAt)
        {
            var holds = new StringBuilder(reservation.Holds.Count);
            foreach (bool hold in reservation.Holds)
            {
                holds.Append(hold ? '1' : '0');
            }

            Run(
                _upsertReservation,
                transaction,
                project,
                reservation.Id,
                ReservationStateNames.ToName(reservation.State),
                JsonSerializer.Serialize(reservation.Keys, StringArrayTypeInfo),
                holds.ToString(),
                Money(reservation.Amount),
                Time(reservation.ExpiresAt),
                forgetAt is { } at ? Time(at) : DBNull.Value,
                reservation.Tokens,
                (object?)reservation.Model ?? DBNull.Value);
        }

        public void DeleteReservation(SqliteTransaction transaction, string project, string id) =>
            Run(_deleteReservation, transaction, project, id);

        public List<string> ListProjects()
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "SELECT name FROM projects ORDER BY name;";
            using SqliteDataReader reader = command.ExecuteReader();
            var projects = new List<string>();
            while (reader.Read())
            {
                projects.Add(reader.GetString(0));
            }

            return projects;
        }

        /// <exception cref="FormatException">A row cannot be read; the message names it.</exception>
        public SavedLedger ReadProject(SqliteTransaction transaction, string project)
        {
            var budgets = new List<BudgetRecord>();
            using (SqliteCommand command = _connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = """
                    SELECT budget_key, limit_usd, period, alignment, alert_thresholds, anchor, window_start, window_end,
                        spent, reserved, spend_by_model, alerts_raised, created_at, updated_at, limit_name, enforcement, limits, windows
                    FROM budgets WHERE project = $project;
                    """;
                command.Parameters.AddWithValue("$project", project);
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    string key = reader.GetString(0);
                    try
                    {
                        budgets.Add(ReadBudget(reader, key));
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidCastException or OverflowException or JsonException)
                    {
                        throw new FormatException($"Budget '{key}': {ex.Message}", ex);
                    }
                }
            }

            var reservations = new List<ReservationRecord>();
            var forget = new List<(string Id, DateTimeOffset ForgetAt)>();
            using (SqliteCommand command = _connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = "SELECT id, state, budget_keys, holds, amount, expires_at, forget_at, tokens, model FROM reservations WHERE project = $project;";
                command.Parameters.AddWithValue("$project", project);
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    string id = reader.GetString(0);
                    try
                    {
                        ReservationState state = ReservationStateNames.Parse(reader.GetString(1));
                        DateTimeOffset? forgetAt = reader.IsDBNull(6) ? null : ParseTime(reader.GetString(6));
                        if ((state == ReservationState.Active) != (forgetAt is null))
                        {
                            throw new FormatException("an active reservation has a time to be forgotten, or an ended one has none.");
                        }

                        string holds = reader.GetString(3);
                        reservations.Add(new ReservationRecord(
                            id,
                            state,
                            JsonSerializer.Deserialize(reader.GetString(2), StringArrayTypeInfo) ?? throw new FormatException("budget_keys is null."),
                            [.. holds.Select(c => c == '1' ? true : c == '0' ? false : throw new FormatException("holds is not a string of 0 and 1."))],
                            ParseMoney(reader.GetString(4)),
                            ParseTime(reader.GetString(5)),
                            reader.GetInt64(7),
                            reader.IsDBNull(8) ? null : reader.GetString(8)));

                        if (forgetAt is { } at)
                        {
                            forget.Add((id, at));
                        }
                    }
                    catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or JsonException)
                    {
                        throw new FormatException($"Reservation '{id}': {ex.Message}", ex);
                    }
                }
            }

            // The ledger forgets ids in the order it queued them, which is the order of their times.
            forget.Sort(static (a, b) => a.ForgetAt.CompareTo(b.ForgetAt) is var c and not 0 ? c : string.CompareOrdinal(a.Id, b.Id));
            return new SavedLedger(budgets, reservations, forget);
        }

        public void Dispose()
        {
            _readVersion.Dispose();
            _writeVersion.Dispose();
            _upsertBudget.Dispose();
            _deleteBudget.Dispose();
            _upsertReservation.Dispose();
            _deleteReservation.Dispose();
        }

        private static BudgetRecord ReadBudget(SqliteDataReader reader, string key)
        {
            string thresholds = reader.GetString(4);
            var main = new BudgetLimit(
                ParseMoney(reader.GetString(1)),
                BudgetPeriodNames.Parse(reader.GetString(2)),
                BudgetPeriodNames.ParseAlignment(reader.GetString(3)),
                name: reader.IsDBNull(14) ? null : reader.GetString(14));
            var definition = new BudgetDefinition(
                [main, .. reader.IsDBNull(16) ? [] : ParseOtherLimits(reader.GetString(16))],
                thresholds.Length == 0 ? null : thresholds.Split(',').Select(ParseMoney),
                BudgetLimitNames.ParseEnforcement(reader.GetString(15)));
            Dictionary<string, string> byModel = JsonSerializer.Deserialize(reader.GetString(10), StringMapTypeInfo) ?? throw new FormatException("spend_by_model is null.");
            var spendByModel = new Dictionary<string, decimal>(byModel.Count, StringComparer.Ordinal);
            foreach (KeyValuePair<string, string> pair in byModel)
            {
                spendByModel.Add(pair.Key, ParseMoney(pair.Value));
            }

            return new BudgetRecord(
                key,
                definition,
                ParseTime(reader.GetString(5)),
                ParseTime(reader.GetString(6)),
                reader.IsDBNull(7) ? null : ParseTime(reader.GetString(7)),
                ParseMoney(reader.GetString(8)),
                ParseMoney(reader.GetString(9)),
                spendByModel,
                checked((int)reader.GetInt64(11)),
                ParseTime(reader.GetString(12)),
                ParseTime(reader.GetString(13)),
                reader.IsDBNull(17) ? null : ParseOtherWindows(reader.GetString(17)));
        }

        private SqliteCommand Command(string sql, params string[] parameters)
        {
            SqliteCommand command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (string name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return command;
        }

        private static void Run(SqliteCommand command, SqliteTransaction transaction, params object[] values)
        {
            command.Transaction = transaction;
            for (int i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i];
            }

            command.ExecuteNonQuery();
        }

        private static string Money(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);

        private static decimal ParseMoney(string text) => decimal.Parse(text, MoneyStyle, CultureInfo.InvariantCulture);

        // Round-trip format: the instant to the tick, with its offset.
        private static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

        private static DateTimeOffset ParseTime(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

        // The limits after the main one; null when there are none, as in a row of schema version 2.
        private static object OtherLimits(IReadOnlyList<BudgetLimit> limits)
        {
            if (limits.Count == 1)
            {
                return DBNull.Value;
            }

            var rows = new LimitRow[limits.Count - 1];
            for (int i = 0; i < rows.Length; i++)
            {
                BudgetLimit limit = limits[i + 1];
                rows[i] = new LimitRow(
                    BudgetLimitNames.ToName(limit.Unit),
                    Money(limit.Amount),
                    BudgetPeriodNames.ToName(limit.Period),
                    BudgetPeriodNames.ToName(limit.Alignment),
                    limit.Name,
                    limit.AppliesToEveryModel ? null : [.. limit.Models]);
            }

            return JsonSerializer.Serialize(rows, SqliteRowJsonContext.Default.LimitRowArray);
        }

        private static BudgetLimit[] ParseOtherLimits(string json)
        {
            LimitRow[] rows = JsonSerializer.Deserialize(json, SqliteRowJsonContext.Default.LimitRowArray) ?? throw new FormatException("limits is null.");
            return Array.ConvertAll(rows, row => row is null ? throw new FormatException("limits holds a null.") : new BudgetLimit(
                ParseMoney(row.Amount),
                BudgetPeriodNames.Parse(row.Period),
                BudgetPeriodNames.ParseAlignment(row.Alignment),
                BudgetLimitNames.ParseUnit(row.Unit),
                row.Models,
                row.Name));
        }

        private static object OtherWindows(IReadOnlyList<BudgetWindowRecord>? windows)
        {
            if (windows is null || windows.Count == 0)
            {
                return DBNull.Value;
            }

            var rows = new WindowRow[windows.Count];
            for (int i = 0; i < rows.Length; i++)
            {
                BudgetWindowRecord window = windows[i];
                rows[i] = new WindowRow(Time(window.Start), Money(window.Spent), window.AlertsRaised, window.End is { } end ? Time(end) : null);
            }

            return JsonSerializer.Serialize(rows, SqliteRowJsonContext.Default.WindowRowArray);
        }

        private static BudgetWindowRecord[] ParseOtherWindows(string json)
        {
            WindowRow[] rows = JsonSerializer.Deserialize(json, SqliteRowJsonContext.Default.WindowRowArray) ?? throw new FormatException("windows is null.");
            return Array.ConvertAll(rows, row => row is null ? throw new FormatException("windows holds a null.") : new BudgetWindowRecord(
                ParseTime(row.Start),
                row.End is null ? null : ParseTime(row.End),
                ParseMoney(row.Spent),
                row.Alerts));
        }

        private static string SpendByModel(IReadOnlyDictionary<string, decimal> spend)
        {
            if (spend.Count == 0)
            {
                return "{}";
            }

            var map = new Dictionary<string, string>(spend.Count, StringComparer.Ordinal);
            foreach (KeyValuePair<string, decimal> pair in spend)
            {
                map.Add(pair.Key, Money(pair.Value));
            }

            return JsonSerializer.Serialize(map, StringMapTypeInfo);
        }
    }
}
