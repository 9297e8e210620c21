using BudgetChat.Tests;
using BudgetChat.Sqlite;

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Sqlite.Tests;

public sealed class SqliteBudgetStoreTests : DirectoryBudgetStoreConformanceTests
{
    // Spend records are indexed by key and user three at a time (128 by default), so that the contract's few records are
    // read both from the index and from the records not in it yet.
    protected override IBudgetStore CreateStore(string directory, FakeTimeProvider time, BudgetStoreOptions options) =>
        new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = directory, Ledger = options, SpendIndexBatchSize = 3 }, time);

    // ---------------------------------------------------------------- helpers

    private static SqliteBudgetStore Open(string directory, TimeProvider time, Action<SqliteBudgetStoreOptions>? configure = null)
    {
        var options = new SqliteBudgetStoreOptions { DataDirectory = directory };
        configure?.Invoke(options);
        return new SqliteBudgetStore(options, time);
    }

    private static string DatabaseFile(string directory) => Path.Combine(directory, SqliteBudgetStoreOptions.DefaultFileName);

    private static SqliteConnection OpenRaw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Writes a database as schema versions 1 and 2 laid it out (their CREATE statements, verbatim), with <paramref name="rows"/> in it.</summary>
    private static void CreateOldDatabase(string path, int userVersion, string rows)
    {
        using SqliteConnection raw = OpenRaw(path);
        Execute(raw, $$"""
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
            PRAGMA application_id = {{0x42434854}};
            PRAGMA user_version = {{userVersion}};
            {{rows}}
            """);
    }

    /// <summary>What schema version 3 added to the tables of version 2 (its ALTER statements, verbatim).</summary>
    private const string Version3Columns = """
        ALTER TABLE budgets ADD COLUMN limit_name TEXT;
        ALTER TABLE budgets ADD COLUMN enforcement TEXT NOT NULL DEFAULT 'enforce';
        ALTER TABLE budgets ADD COLUMN limits TEXT;
        ALTER TABLE budgets ADD COLUMN windows TEXT;
        ALTER TABLE reservations ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE reservations ADD COLUMN model TEXT;
        """;

    // ---------------------------------------------------------------- all-or-nothing updates

    [Fact]
    public async Task UpdateProject_ThatThrows_LeavesTheFileAndTheInstanceAsTheyWere_EvenAfterRefusedLedgerOperations()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using (SqliteBudgetStore store = Open(directory, time))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
            await store.ChargeAsync(Project, ["user:1"], 1m, "m", "c1");

            // A ledger operation that refuses (an unknown key) would be kept half done by an ordinary operation's
            // transaction; in an update it rolls back what the update changed before it.
            await Assert.ThrowsAsync<BudgetNotFoundException>(async () => await store.UpdateProjectAsync(Project, 0, static (ledger, _, now) =>
            {
                ledger.Set("user:2", new BudgetDefinition(5m), null, now);
                ledger.Reset("user:1", now);
                return ledger.Charge(["user:3"], 1m, "c2", now);
            }));
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.UpdateProjectAsync(Project, 0, static (ledger, _, now) =>
            {
                ledger.Delete("user:1", now);
                return ledger.List(now).Count == 0 ? throw new InvalidOperationException("half way") : 0;
            }));
            BudgetState kept = Assert.Single(await store.ListBudgetsAsync(Project));
            Assert.Equal(("user:1", 1m), (kept.Key, kept.Spent));

            Assert.Equal(BudgetCompletionStatus.Completed, await store.UpdateProjectAsync(Project, "user:2", static (ledger, key, now) =>
            {
                ledger.Set(key, new BudgetDefinition(5m), null, now);
                return ledger.Charge(["user:1", key], 2m, "c3", now).Status;
            }));
        }

        await using SqliteBudgetStore reopened = Open(directory, time);
        Assert.Equal([("user:1", 3m), ("user:2", 2m)], (await reopened.ListBudgetsAsync(Project)).Select(b => (b.Key, b.Spent)));
    }

    // ---------------------------------------------------------------- durability across reopening

    [Fact]
    public async Task BudgetsSpendReservationsAndIds_SurviveClosingAndReopening()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        var options = new BudgetStoreOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") };
        IReadOnlyList<BudgetState> before;
        await using (SqliteBudgetStore store = Open(directory, time, o => o.Ledger = options))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(5m, BudgetPeriod.Daily, alertThresholds: [0.5m, 1m]));
            await store.SetBudgetAsync(Project, "global", new BudgetDefinition(100m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling));
            await store.SetBudgetAsync(OtherProject, "user:2", new BudgetDefinition(1m));
            await store.ChargeAsync(Project, ["user:1", "global"], 0.123456789012345678m, "gpt-4o", "c1");
            Assert.True((await store.ReserveAsync(Project, ["user:1", "global"], 0.50m, "active", Epoch.AddHours(1))).IsReserved);
            Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.25m, "settled", Epoch.AddHours(1))).IsReserved);
            Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.75m, "expiring", Epoch.AddMinutes(1))).IsReserved);
            Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "settled", 0.20m, "gpt-4o-mini")).Status);
            time.Advance(TimeSpan.FromMinutes(2)); // "expiring" is reclaimed by the next operation
            before = await store.ListBudgetsAsync(Project);
        }

        await using SqliteBudgetStore reopened = Open(directory, time, o => o.Ledger = options);

        IReadOnlyList<BudgetState> after = await reopened.ListBudgetsAsync(Project);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            AssertSameBudget(before[i], after[i]);
        }

        Assert.Equal(0.50m, after.Single(b => b.Key == "user:1").Reserved); // "active" still holds, "expiring" no longer does
        Assert.Equal(1m, (await GetExisting(reopened, "user:2", OtherProject)).Limit);

        // Ended ids are remembered with how they ended: retries change nothing, other uses conflict.
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reopened.SettleAsync(Project, "settled", 0.20m, "gpt-4o-mini")).Status);
        Assert.Equal(BudgetConflict.Settled, (await reopened.SettleAsync(Project, "settled", 0.21m, "gpt-4o-mini")).Conflict);
        Assert.Equal(BudgetConflict.Settled, (await reopened.ReleaseAsync(Project, "settled")).Conflict);
        Assert.Equal(BudgetConflict.Charged, (await reopened.ChargeAsync(Project, ["user:1"], 0.123456789012345678m, "gpt-4o", "c1")).Conflict);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reopened.ChargeAsync(Project, ["user:1", "global"], 0.123456789012345678m, "gpt-4o", "c1")).Status);

        // The active reservation settles once; the reclaimed one still charges what it cost, once.
        Assert.Equal(BudgetCompletionStatus.Completed, (await reopened.SettleAsync(Project, "active", 0.40m, "gpt-4o")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await reopened.SettleAsync(Project, "expiring", 0.05m, null)).Status);
        BudgetState user = await GetExisting(reopened, "user:1");
        Assert.Equal(0.123456789012m + 0.20m + 0.40m + 0.05m, user.Spent);
        Assert.Equal(0m, user.Reserved);
        Assert.Equal(0.123456789012m + 0.40m, user.SpendByModel["gpt-4o"]);
        Assert.Equal(0.20m, user.SpendByModel["gpt-4o-mini"]);
    }

    [Fact]
    public async Task SettleRetriedAfterReopening_ChargesOnce()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using (SqliteBudgetStore store = Open(directory, time))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
            Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.30m, "r1", Epoch.AddHours(1))).IsReserved);
            Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.25m, "gpt-4o")).Status);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        await using SqliteBudgetStore reopened = Open(directory, time);

        BudgetCompletion retry = await reopened.SettleAsync(Project, "r1", 0.25m, "gpt-4o");

        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, retry.Status);
        BudgetState state = await GetExisting(reopened, "user:1");
        Assert.Equal(0.25m, state.Spent);
        Assert.Equal(0m, state.Reserved);
    }

    [Fact]
    public async Task RememberedIds_AreForgottenAfterTheRetention_AlsoInTheFile()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "c1");
        using (SqliteConnection raw = OpenRaw(DatabaseFile(directory)))
        {
            Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM reservations WHERE id = 'c1';"));
        }

        time.Advance(new BudgetStoreOptions().CompletedIdRetention + TimeSpan.FromSeconds(1));
        await store.GetBudgetAsync(Project, "user:1");

        using (SqliteConnection raw = OpenRaw(DatabaseFile(directory)))
        {
            Assert.Equal(0L, Scalar(raw, "SELECT count(*) FROM reservations;"));
        }
    }

    [Fact]
    public async Task Sweep_RollsOverTheBudgetsOfEveryProjectInTheDatabase_EvenOnesThisInstanceNeverTouched()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using (SqliteBudgetStore store = Open(directory, time))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
            await store.SetBudgetAsync(OtherProject, "user:2", new BudgetDefinition(1m, BudgetPeriod.Daily));
            await store.ChargeAsync(Project, ["user:1"], 0.5m, null, "c1");
            await store.ChargeAsync(OtherProject, ["user:2"], 0.5m, null, "c1");
        }

        time.Advance(TimeSpan.FromDays(1));
        await using SqliteBudgetStore reopened = Open(directory, time);

        Assert.Equal(2, await reopened.SweepAsync());

        using SqliteConnection raw = OpenRaw(DatabaseFile(directory));
        Assert.Equal(2L, Scalar(raw, "SELECT count(*) FROM budgets WHERE spent = '0';"));
    }

    // ---------------------------------------------------------------- several instances on one file

    [Fact]
    public async Task AChangeByOneInstance_IsSeenByTheNextOperationOfAnother()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore first = Open(directory, time);
        await using SqliteBudgetStore second = Open(directory, time);
        await first.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.Equal(0m, (await GetExisting(second, "user:1")).Spent);

        await first.ChargeAsync(Project, ["user:1"], 0.75m, null, "c1");

        Assert.Equal(0.75m, (await GetExisting(second, "user:1")).Spent);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await second.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddHours(1))).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await second.ChargeAsync(Project, ["user:1"], 0.75m, null, "c1")).Status);
        Assert.Equal(0.75m, (await GetExisting(first, "user:1")).Spent);
    }

    [Fact]
    public async Task TwoInstancesOnOneFile_RacingReserves_AdmitNoMoreThanTheLimit_AndLoseNoCharge()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore first = Open(directory, time);
        await using SqliteBudgetStore second = Open(directory, time);
        await first.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1.00m));
        await first.SetBudgetAsync(Project, "global", new BudgetDefinition(100m));
        SqliteBudgetStore[] stores = [first, second];

        // 60 reservations of 0.10 against a limit of 1.00, from both instances at once.
        bool[] admitted = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
            (await stores[i % 2].ReserveAsync(Project, ["user:1", "global"], 0.10m, $"r{i}", Epoch.AddHours(1))).IsReserved)));

        int[] winners = [.. Enumerable.Range(0, 60).Where(i => admitted[i])];
        Assert.Equal(10, winners.Length);
        Assert.Equal(1.00m, (await GetExisting(second, "user:1")).Reserved);

        // Settle each through the other instance, plus racing charges without reservation through both.
        await Task.WhenAll(winners.Select(i => Task.Run(async () =>
            Assert.Equal(BudgetCompletionStatus.Completed, (await stores[(i + 1) % 2].SettleAsync(Project, $"r{i}", 0.10m, "gpt-4o")).Status)))
            .Concat(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
                await stores[i % 2].ChargeAsync(Project, ["global"], 0.01m, "gpt-4o-mini", $"c{i}")))));

        await using SqliteBudgetStore third = Open(directory, time);
        foreach (IBudgetStore store in new IBudgetStore[] { first, second, third })
        {
            BudgetState user = await GetExisting(store, "user:1");
            Assert.Equal(1.00m, user.Spent);
            Assert.Equal(0m, user.Reserved);
            BudgetState global = await GetExisting(store, "global");
            Assert.Equal(1.00m + 0.40m, global.Spent);
            Assert.Equal(0.40m, global.SpendByModel["gpt-4o-mini"]);
        }
    }

    [Fact]
    public async Task AWriterThatHoldsTheDatabaseLongerThanTheBusyTimeout_MakesOperationsThrowTimeout_NamingTheFile()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time, o => o.BusyTimeout = TimeSpan.FromSeconds(1));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        Execute(raw, "BEGIN IMMEDIATE;");

        TimeoutException ex = await Assert.ThrowsAsync<TimeoutException>(() => store.ChargeAsync(Project, ["user:1"], 0.5m, null, "c1").AsTask());

        Assert.Contains(store.DatabasePath, ex.Message, StringComparison.Ordinal);
        Execute(raw, "ROLLBACK;");
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Spent);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.5m, null, "c1")).Status);
    }

    // ---------------------------------------------------------------- budget policies

    /// <summary>$5 a day (the main limit), $50 a month, 100,000 tokens a minute and $2 a day on premium models; observed, not enforced.</summary>
    private static BudgetDefinition Policies() => new(
        [
            BudgetLimit.Dollars(5m, BudgetPeriod.Daily),
            BudgetLimit.Dollars(50m, BudgetPeriod.Monthly),
            BudgetLimit.Tokens(100_000, BudgetPeriod.Minutely),
            BudgetLimit.Dollars(2m, BudgetPeriod.Daily).ForModels(["gpt-4o", "claude-opus-*"], "premium"),
        ],
        alertThresholds: [0.5m],
        enforcement: BudgetEnforcement.Observe);

    private static void AssertSameWindows(BudgetState expected, BudgetState actual)
    {
        AssertSameBudget(expected, actual);
        Assert.Equal(
            expected.Windows.Select(w => (w.Limit, w.Start, w.End, w.Spent, w.Reserved)),
            actual.Windows.Select(w => (w.Limit, w.Start, w.End, w.Spent, w.Reserved)));
    }

    [Fact]
    public async Task APolicyBudget_KeepsEveryWindowHoldAndIdAnswer_AcrossClosingAndReopening()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch.AddSeconds(30));
        BudgetState before;
        await using (SqliteBudgetStore store = Open(directory, time))
        {
            await store.SetBudgetAsync(Project, "user:1", Policies());
            await store.ChargeAsync(Project, ["user:1"], new BudgetUsage(0.60m, 1_200, "gpt-4o"), "c1");
            Assert.True((await store.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.60m, 3_000, "gpt-4o"), "s1", Epoch.AddHours(1))).IsReserved);
            BudgetCompletion settled = await store.SettleAsync(Project, "s1", new BudgetUsage(0.50m, 2_500, "gpt-4o"));
            Assert.Equal("premium", Assert.Single(settled.Alerts).Window); // $1.10 of $2: the premium window's alert is raised

            Assert.True((await store.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.40m, 40_000, "claude-opus-4-1"), "r1", Epoch.AddHours(1))).IsReserved);
            BudgetReservationResult observed = await store.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.10m, 70_000, "gpt-4o-mini"), "r2", Epoch.AddHours(1));
            Assert.True(observed.IsReserved && observed.WouldHaveRefused);
            Assert.Equal(BudgetUnit.Tokens, observed.Window!.Unit);
            before = await GetExisting(store, "user:1");
        }

        await using SqliteBudgetStore reopened = Open(directory, time);

        BudgetState after = await GetExisting(reopened, "user:1");
        AssertSameWindows(before, after);
        Assert.Equal(Policies(), after.Definition);
        Assert.Equal([1.10m, 1.10m, 3_700m, 1.10m], after.Windows.Select(w => w.Spent));
        Assert.Equal([0.50m, 0.50m, 110_000m, 0.40m], after.Windows.Select(w => w.Reserved));

        // Ids answer as before: a reservation repeats only with its tokens and model, a settle only with its tokens.
        Assert.Equal(BudgetReservationStatus.Reserved, (await reopened.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.40m, 40_000, "claude-opus-4-1"), "r1", Epoch.AddHours(1))).Status);
        Assert.Equal(BudgetReservationStatus.Conflict, (await reopened.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.40m, 40_000, "gpt-4o"), "r1", Epoch.AddHours(1))).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reopened.SettleAsync(Project, "s1", new BudgetUsage(0.50m, 2_500, "gpt-4o"))).Status);
        Assert.Equal(BudgetConflict.Settled, (await reopened.SettleAsync(Project, "s1", new BudgetUsage(0.50m, 2_400, "gpt-4o"))).Conflict);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reopened.ChargeAsync(Project, ["user:1"], new BudgetUsage(0.60m, 1_200, "gpt-4o"), "c1")).Status);

        // Still observed: past the tokens a minute allows, a reservation is held and reported.
        BudgetReservationResult stillObserved = await reopened.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.01m, 1, "gpt-4o-mini"), "r3", Epoch.AddHours(1));
        Assert.True(stillObserved.IsReserved && stillObserved.WouldHaveRefused);

        // Settled without a model, r1 counts on the premium cap by the model it was reserved for; that window's alert
        // was raised already.
        BudgetCompletion settledR1 = await reopened.SettleAsync(Project, "r1", new BudgetUsage(0.30m, 30_000));
        Assert.Equal(BudgetCompletionStatus.Completed, settledR1.Status);
        Assert.Empty(settledR1.Alerts);
        BudgetState last = await GetExisting(reopened, "user:1");
        Assert.Equal([1.40m, 1.40m, 33_700m, 1.40m], last.Windows.Select(w => w.Spent));
        Assert.Equal([0.11m, 0.11m, 70_001m, 0m], last.Windows.Select(w => w.Reserved));
    }

    [Fact]
    public async Task AVersion2Database_IsUpgradedInPlace_ReadsItsBudgetsBackUnchanged_AndThenKeepsPolicies()
    {
        // The main limit named, enforced, without thresholds.
        var teamPolicies = new BudgetDefinition([new BudgetLimit(5m, BudgetPeriod.Daily, name: "team day"), .. Policies().Limits.Skip(1)]);
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        string path = DatabaseFile(directory);
        CreateOldDatabase(path, userVersion: 2, $$"""
            INSERT INTO projects VALUES ('{{Project}}', 7);
            INSERT INTO budgets VALUES ('{{Project}}', 'user:1', '5', 'daily', 'calendar', '0.5,1', '2026-03-01T00:00:00.0000000+00:00',
                '2026-03-10T00:00:00.0000000+00:00', '2026-03-11T00:00:00.0000000+00:00', '2.75', '0.4', '{"gpt-4o":"2.75"}', 1,
                '2026-03-01T00:00:00.0000000+00:00', '2026-03-10T11:00:00.0000000+00:00');
            INSERT INTO budgets VALUES ('{{Project}}', 'global', '100', 'monthly', 'rolling', '', '2026-02-15T00:00:00.0000000+00:00',
                '2026-02-15T00:00:00.0000000+00:00', '2026-03-15T00:00:00.0000000+00:00', '2.75', '0.4', '{}', 0,
                '2026-02-15T00:00:00.0000000+00:00', '2026-03-10T11:00:00.0000000+00:00');
            INSERT INTO reservations VALUES ('{{Project}}', 'r1', 'active', '["user:1","global"]', '11', '0.4', '2026-03-10T13:00:00.0000000+00:00', NULL);
            INSERT INTO reservations VALUES ('{{Project}}', 's1', 'settled', '[]', '', '2.75', '2026-03-10T12:30:00.0000000+00:00', '2026-03-10T12:05:00.0000000+00:00');
            """);

        await using (SqliteBudgetStore store = Open(directory, time))
        {
            BudgetState user = await GetExisting(store, "user:1");
            Assert.Equal(new BudgetDefinition(5m, BudgetPeriod.Daily, alertThresholds: [0.5m, 1m]), user.Definition);
            Assert.Equal(
                (Epoch.Date, Epoch.Date.AddDays(1), 2.75m, 0.4m, 2.75m),
                (user.WindowStart.UtcDateTime, user.WindowEnd!.Value.UtcDateTime, user.Spent, user.Reserved, user.SpendByModel["gpt-4o"]));
            BudgetState global = await GetExisting(store, "global");
            Assert.Equal(new BudgetDefinition(100m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), global.Definition);
            Assert.Single(global.Windows);

            Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "s1", 2.75m, "gpt-4o")).Status);
            Assert.Equal(BudgetReservationStatus.Reserved, (await store.ReserveAsync(Project, ["user:1", "global"], 0.4m, "r1", Epoch.AddHours(1))).Status);
            Assert.Empty((await store.SettleAsync(Project, "r1", 0.25m, "gpt-4o")).Alerts); // $3 of $5: the 50% alert was raised already
            Assert.Equal((3m, 0m), ((await GetExisting(store, "user:1")).Spent, (await GetExisting(store, "user:1")).Reserved));

            await store.SetBudgetAsync(Project, "user:1", Policies());
            await store.SetBudgetAsync(Project, "user:2", teamPolicies);
            Assert.True((await store.ReserveAsync(Project, ["user:1", "user:2"], new BudgetUsage(0.5m, 50_000, "gpt-4o"), "r2", Epoch.AddHours(1))).IsReserved);
        }

        using (SqliteConnection raw = OpenRaw(path))
        {
            Assert.Equal(5L, Scalar(raw, "PRAGMA user_version;"));
        }

        await using SqliteBudgetStore reopened = Open(directory, time);
        BudgetState[] budgets = [.. await reopened.ListBudgetsAsync(Project)];
        Assert.Equal(["global", "user:1", "user:2"], budgets.Select(b => b.Key));
        Assert.Equal([new BudgetDefinition(100m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), Policies(), teamPolicies], budgets.Select(b => b.Definition));
        Assert.Equal([3.5m, 0.5m, 50_000m, 0.5m], budgets[1].Windows.Select(w => w.Spent + w.Reserved));
        Assert.Equal([0.5m, 0.5m, 50_000m, 0.5m], budgets[2].Windows.Select(w => w.Spent + w.Reserved));
    }

    [Fact]
    public async Task TwoInstancesOnOneFile_SeeEachOthersPolicyChanges()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch.AddSeconds(10));
        await using SqliteBudgetStore first = Open(directory, time);
        await using SqliteBudgetStore second = Open(directory, time);
        BudgetDefinition policies = Policies().WithLimit(BudgetLimit.Requests(3, BudgetPeriod.Hourly, BudgetWindowAlignment.Rolling));

        await first.SetBudgetAsync(Project, "user:1", policies);
        Assert.Equal(policies, (await GetExisting(second, "user:1")).Definition);

        Assert.True((await second.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.50m, 60_000, "gpt-4o"), "r1", Epoch.AddHours(1))).IsReserved);
        BudgetState seen = await GetExisting(first, "user:1");
        Assert.Equal([0.50m, 0.50m, 60_000m, 0.50m, 0m], seen.Windows.Select(w => w.Reserved));
        Assert.Equal([0m, 0m, 0m, 0m, 1m], seen.Windows.Select(w => w.Spent)); // a request counts when admitted

        await first.ChargeAsync(Project, ["user:1"], new BudgetUsage(0.25m, 30_000, "claude-opus-4-1"), "c1");
        Assert.Equal([0.25m, 0.25m, 30_000m, 0.25m, 2m], (await GetExisting(second, "user:1")).Windows.Select(w => w.Spent));

        // The second makes the budget enforced; the first then refuses what the tokens a minute cannot hold.
        await second.SetBudgetAsync(Project, "user:1", policies.WithEnforcement(BudgetEnforcement.Enforce));
        BudgetReservationResult refused = await first.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.10m, 20_000, "gpt-4o-mini"), "r2", Epoch.AddHours(1));
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, refused.Status);
        Assert.Equal(BudgetUnit.Tokens, refused.Window!.Unit);

        // The first settles the second's reservation: its tokens and model came through the file.
        Assert.Equal(BudgetReservationStatus.Conflict, (await first.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.50m, 60_001, "gpt-4o"), "r1", Epoch.AddHours(1))).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await first.SettleAsync(Project, "r1", new BudgetUsage(0.40m, 50_000))).Status);
        BudgetState settled = await GetExisting(second, "user:1");
        Assert.Equal([0.65m, 0.65m, 80_000m, 0.65m, 2m], settled.Windows.Select(w => w.Spent));
        Assert.All(settled.Windows, w => Assert.Equal(0m, w.Reserved));
    }

    // ---------------------------------------------------------------- what is written

    [Fact]
    public async Task Database_IsInWalMode_MarkedAsBudgetChats_AndKeepsMoneyAsExactText()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        await store.ChargeAsync(Project, ["user:1"], 0.1234567890123456789012345678m, null, "c1");
        await store.ChargeAsync(Project, ["user:1"], 0.1000000000000000000000000001m, null, "c2");

        Assert.Equal(DatabaseFile(directory), store.DatabasePath);
        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode;"));
        Assert.Equal(0x42434854L, Scalar(raw, "PRAGMA application_id;")); // "BCHT"
        Assert.Equal(5L, Scalar(raw, "PRAGMA user_version;"));
        Assert.Equal("text", Scalar(raw, "SELECT typeof(spent) FROM budgets;"));
        Assert.Equal("0.223456789012", Scalar(raw, "SELECT spent FROM budgets;")); // held at BudgetAmounts.Scale

        // A budget of one limit is the row schema version 2 wrote, and its new columns are what an upgraded row holds.
        Assert.Equal(DBNull.Value, Scalar(raw, "SELECT limits FROM budgets;"));
        Assert.Equal(DBNull.Value, Scalar(raw, "SELECT windows FROM budgets;"));
        Assert.Equal("enforce", Scalar(raw, "SELECT enforcement FROM budgets;"));
    }

    [Fact]
    public async Task AChargeAmongManyUsers_WritesOnlyTheRowsItChanged()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        for (int i = 0; i < 500; i++)
        {
            await store.SetBudgetAsync(Project, $"user:{i}", new BudgetDefinition(1m, BudgetPeriod.Daily));
        }

        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1000m));
        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        Execute(raw, """
            CREATE TABLE test_writes (tbl TEXT NOT NULL);
            CREATE TRIGGER test_budget_writes AFTER INSERT ON budgets BEGIN INSERT INTO test_writes VALUES ('budgets'); END;
            CREATE TRIGGER test_reservation_writes AFTER INSERT ON reservations BEGIN INSERT INTO test_writes VALUES ('reservations'); END;
            """);

        Assert.True((await store.ReserveAsync(Project, ["user:7", "global"], 0.10m, "r1", Epoch.AddHours(1))).IsReserved);
        await store.SettleAsync(Project, "r1", 0.05m, "gpt-4o");
        await store.ChargeAsync(Project, ["user:8"], 0.05m, "gpt-4o", "c1");

        // Reserve: 2 budgets + 1 reservation; settle: the same; charge: 1 budget + 1 id.
        Assert.Equal(2L + 2L + 1L, Scalar(raw, "SELECT count(*) FROM test_writes WHERE tbl = 'budgets';"));
        Assert.Equal(3L, Scalar(raw, "SELECT count(*) FROM test_writes WHERE tbl = 'reservations';"));
    }

    [Fact]
    public async Task AFailedWrite_IsRolledBack_AndTheStoreReadsTheDatabaseAgain()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        using (SqliteConnection raw = OpenRaw(store.DatabasePath))
        {
            Execute(raw, "CREATE TRIGGER test_poison BEFORE INSERT ON reservations WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;");
        }

        await Assert.ThrowsAsync<SqliteException>(() => store.ReserveAsync(Project, ["user:1"], 0.40m, "poison", Epoch.AddHours(1)).AsTask());

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Reserved);
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 1m, "r1", Epoch.AddHours(1))).IsReserved);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.ReleaseAsync(Project, "poison")).Status);
    }

    // ---------------------------------------------------------------- the spend ledger in the file

    [Fact]
    public async Task ASettleWhoseRecordCannotBeWritten_IsRolledBack_WithItsCharge_AndLeavesNoRecordBehind()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddHours(1))).IsReserved);
        using (SqliteConnection raw = OpenRaw(store.DatabasePath))
        {
            // The failure comes after the ledger has charged the budget and added the record.
            Execute(raw, "CREATE TRIGGER test_poison BEFORE INSERT ON spend_records WHEN NEW.id = 'r1' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;");
        }

        await Assert.ThrowsAsync<SqliteException>(() => store.SettleAsync(Project, "r1", 0.40m, "m").AsTask());

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal((0m, 0.50m), (state.Spent, state.Reserved));
        Assert.Empty(await AllSpend(store));

        // The next operation writes its own record only, and the reservation still settles once.
        await store.ChargeAsync(Project, ["user:1"], 0.10m, "m", "c1");
        Assert.Equal(["c1"], (await AllSpend(store)).Select(r => r.Id));
        using (SqliteConnection raw = OpenRaw(store.DatabasePath))
        {
            Execute(raw, "DROP TRIGGER test_poison;");
        }

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.40m, "m")).Status);
        Assert.Equal(["c1", "r1"], (await AllSpend(store)).Select(r => r.Id));
        Assert.Equal(0.50m, (await GetExisting(store, "user:1")).Spent);
        await AssertBalanced(store, store);
    }

    [Fact]
    public async Task AChargeWhoseBudgetCannotBeWritten_LeavesNoRecord()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        using (SqliteConnection raw = OpenRaw(store.DatabasePath))
        {
            Execute(raw, "CREATE TRIGGER test_poison BEFORE INSERT ON budgets WHEN NEW.budget_key = 'global' AND NEW.spent <> '0' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;");
        }

        await Assert.ThrowsAsync<SqliteException>(() => store.ChargeAsync(Project, ["user:1", "global"], 0.25m, "m", "c1").AsTask());

        Assert.Empty(await AllSpend(store));
        Assert.All(await store.ListBudgetsAsync(Project), b => Assert.Equal(0m, b.Spent));
    }

    [Fact]
    public async Task TwoInstancesOnOneFile_BothWriteRecords_ThatAddUpToTheSpendEachSees()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore first = Open(directory, time);
        await using SqliteBudgetStore second = Open(directory, time);
        await first.SetBudgetAsync(Project, "user:1", new BudgetDefinition(5m, BudgetPeriod.Daily));
        await first.SetBudgetAsync(Project, "global", new BudgetDefinition(100m));
        SqliteBudgetStore[] stores = [first, second];

        // Each instance reserves, the other settles: every settle runs on a ledger the other instance changed last.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            Assert.True((await stores[i % 2].ReserveAsync(Project, ["user:1", "global"], 0.10m, $"r{i}", Epoch.AddHours(1))).IsReserved);
            Assert.Equal(BudgetCompletionStatus.Completed, (await stores[(i + 1) % 2].SettleAsync(Project, $"r{i}", 0.01m * (1 + (i % 3)), "m")).Status);
            await stores[i % 2].ChargeAsync(Project, ["global"], 0.001m, "n", $"c{i}");
        })));
        await second.ResetBudgetAsync(Project, "user:1");
        await first.ChargeAsync(Project, ["user:1", "global"], 0.5m, "m", "last");

        List<BudgetSpendRecord> records = await AllSpend(second);
        Assert.Equal(40 + 40 + 1 + 1, records.Count);
        Assert.Equal(records.Count, records.Select(r => r.Sequence).Distinct().Count());
        await AssertBalanced(first, second);
        await AssertBalanced(second, first);
    }

    [Fact]
    public async Task KeepSpendRecordsOff_WritesNoRecord_AndReadsWhatWasWrittenBefore()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using (SqliteBudgetStore keeping = Open(directory, time))
        {
            await keeping.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
            await keeping.ChargeAsync(Project, ["user:1"], 0.10m, "m", "c1");
        }

        await using SqliteBudgetStore store = Open(directory, time, o => o.KeepSpendRecords = false);
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddHours(1))).IsReserved);
        await store.SettleAsync(Project, "r1", 0.40m, "m");
        await store.ChargeAsync(Project, ["user:1"], 0.10m, "m", "c2");
        await store.ResetBudgetAsync(Project, "user:1");
        await store.AppendSpendAsync(Project, new BudgetSpendRecord { Keys = ["user:1"], Outcome = BudgetSpendOutcome.Refused });

        Assert.Equal(["c1"], (await AllSpend(store)).Select(r => r.Id));
        Assert.Equal(1, await store.PruneSpendAsync(Epoch.AddDays(1)));
    }

    [Fact]
    public async Task Records_AreRowsOfIntegersAndExactText_NumberedPerProject()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        Assert.True((await store.ReserveAsync(Project, ["user:1", "global"], 0.5m, "r1", Epoch.AddHours(1))).IsReserved);
        await store.SettleAsync(Project, "r1", new BudgetUsage(1.234567890123m, 10, "m")
        {
            Record = new BudgetSpendRecord { Marks = BudgetSpendMarks.Reduced | BudgetSpendMarks.WouldRefuse, Duration = TimeSpan.FromSeconds(2) },
        });

        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        Assert.Equal(
            "1|1|234567890123|0.5|charged|reduced,would_refuse|20000000|[\"user:1\",\"global\"]",
            Scalar(raw, "SELECT sequence || '|' || cost_units || '|' || cost_pico || '|' || held || '|' || outcome || '|' || marks || '|' || duration || '|' || keys FROM spend_records;"));
        Assert.Equal(Epoch.UtcTicks, Scalar(raw, "SELECT time FROM spend_records;"));
        Assert.Equal(1L, Scalar(raw, $"SELECT spend_sequence FROM projects WHERE name = '{Project}';"));
    }

    [Fact]
    public async Task Records_AreIndexedByKeyAndUser_InBatches_AndReadFromBothSides()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time, o => o.Synchronous = SqliteSynchronousMode.Normal);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1000m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1000m));
        var details = new BudgetSpendRecord { User = "1" };
        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        const int Batch = SqliteSpendRecords.IndexBatchSize;
        for (int i = 0; i < Batch - 1; i++)
        {
            await store.ChargeAsync(Project, ["user:1", "global"], new BudgetUsage(0.01m) { Record = details }, $"c{i}");
        }

        Assert.Equal(0L, Scalar(raw, "SELECT count(*) FROM spend_index;"));

        // The batch's last record indexes them all: a row per key and one for the user.
        await store.ChargeAsync(Project, ["user:1", "global"], new BudgetUsage(0.01m) { Record = details }, $"c{Batch - 1}");
        Assert.Equal(Batch * 3L, Scalar(raw, "SELECT count(*) FROM spend_index;"));
        Assert.Equal((long)Batch, Scalar(raw, $"SELECT spend_indexed FROM projects WHERE name = '{Project}';"));
        Assert.Equal("global,user:1", Scalar(raw, "SELECT group_concat(name, ',') FROM (SELECT name FROM spend_index WHERE record = 1 AND kind = 'key' ORDER BY name);"));

        // Five more wait; every read adds them to what the index holds.
        for (int i = Batch; i < Batch + 5; i++)
        {
            await store.ChargeAsync(Project, ["user:1"], new BudgetUsage(0.01m) { Record = details }, $"c{i}");
        }

        var all = new BudgetSpendQuery();
        Assert.Equal([("global", (long)Batch), ("user:1", Batch + 5L)], (await store.GroupSpendAsync(Project, all, BudgetSpendGrouping.Key)).Select(g => (g.Value!, g.Calls)).Order());
        Assert.Equal([("1", (Batch + 5) * 0.01m)], (await store.GroupSpendAsync(Project, all, BudgetSpendGrouping.User)).Select(g => (g.Value!, g.Cost)));
        Assert.Equal((Batch + 5) * 0.01m, Assert.Single(await store.GroupSpendAsync(Project, all with { Key = "user:1" }, BudgetSpendGrouping.None)).Cost);
        Assert.Equal((Batch + 5) * 0.01m, Assert.Single(await store.GroupSpendAsync(Project, all with { User = "1" }, BudgetSpendGrouping.Day)).Cost);
        Assert.Equal(Enumerable.Range(Batch - 1, 6).Reverse().Select(i => $"c{i}"), (await store.QuerySpendAsync(Project, all with { User = "1", Limit = 6 })).Records.Select(r => r.Id));
        Assert.Equal([$"c{Batch - 2}", $"c{Batch - 1}", $"c{Batch}"], (await store.QuerySpendAsync(Project, all with { Key = "user:1", After = Batch - 2, Limit = 3, OldestFirst = true })).Records.Select(r => r.Id));
        await AssertBalanced(store, store);
    }

    [Fact]
    public async Task GroupsByKeyAndUser_FromTheDailyTotals_MatchTheInMemoryStore_OverAnyRange_WithTop_AndAfterPruning()
    {
        // The same charges and refusals, spread over ten days at random times, in SQLite (indexed and added up per day
        // seven records at a time) and in the in-memory store, which adds up every record: any range, whole days or not,
        // with or without an outcome, gives the same groups, before and after pruning.
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore sqlite = Open(NewDirectory(), time, o => { o.Synchronous = SqliteSynchronousMode.Normal; o.SpendIndexBatchSize = 7; });
        var memory = new InMemoryBudgetStore(null, time);
        IBudgetStore[] stores = [sqlite, memory];
        var random = new Random(17);
        foreach (IBudgetStore store in stores)
        {
            await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1_000_000m));
            for (int user = 0; user < 6; user++)
            {
                await store.SetBudgetAsync(Project, $"user:{user}", new BudgetDefinition(1_000_000m));
            }
        }

        for (int i = 0; i < 400; i++)
        {
            time.Advance(TimeSpan.FromMinutes(random.Next(1, 72)));
            int user = random.Next(6);
            string? name = user == 0 ? null : $"u{user}";
            var record = new BudgetSpendRecord { User = name, InputTokens = random.Next(1_000), OutputTokens = random.Next(100) };
            decimal cost = Math.Round((decimal)random.NextDouble(), 12);
            bool refused = random.Next(8) == 0;
            foreach (IBudgetStore store in stores)
            {
                if (refused)
                {
                    await ((IBudgetSpendLog)store).AppendSpendAsync(Project, record with { Keys = [$"user:{user}"], Outcome = BudgetSpendOutcome.Refused });
                }
                else
                {
                    await store.ChargeAsync(Project, [$"user:{user}", "global"], new BudgetUsage(cost, 50) { Record = record }, $"c{i}");
                }
            }
        }

        DateTimeOffset end = time.GetUtcNow();
        DateTimeOffset? At(int choice) => choice switch
        {
            0 => null,
            1 => new DateTimeOffset(Epoch.AddDays(random.Next(12)).UtcDateTime.Date, TimeSpan.Zero),
            _ => Epoch.AddMinutes(random.Next((int)(end - Epoch).TotalMinutes + 1)),
        };

        // How many groups were compared, so that the test cannot pass by comparing empty answers.
        int compared = 0;
        async Task AssertSameGroups(int queries)
        {
            for (int q = 0; q < queries; q++)
            {
                DateTimeOffset? from = At(random.Next(3));
                DateTimeOffset? to = At(random.Next(3));
                if (from > to)
                {
                    (from, to) = (to, from);
                }

                var query = new BudgetSpendQuery { From = from, To = to, Outcome = random.Next(3) == 0 ? BudgetSpendOutcome.Refused : null };
                foreach (BudgetSpendGrouping grouping in (BudgetSpendGrouping[])[BudgetSpendGrouping.Key, BudgetSpendGrouping.User])
                {
                    IReadOnlyList<BudgetSpendGroup> expected = await memory.GroupSpendAsync(Project, query, grouping);
                    IReadOnlyList<BudgetSpendGroup> actual = await sqlite.GroupSpendAsync(Project, query, grouping);
                    Assert.Equal(Describe(expected), Describe(actual));
                    compared += expected.Count;

                    // The costliest few, cut in SQL: the same groups as the head of the in-memory store's answer.
                    BudgetSpendQuery top = query with { Top = random.Next(1, 5) };
                    Assert.Equal(Describe(await memory.GroupSpendAsync(Project, top, grouping)), Describe(await sqlite.GroupSpendAsync(Project, top, grouping)));
                }
            }
        }

        await AssertSameGroups(60);
        Assert.True(compared > 300, $"only {compared} groups compared");
        DateTimeOffset prunedBefore = Epoch.AddDays(4).AddHours(5);
        Assert.Equal(await memory.PruneSpendAsync(prunedBefore), await sqlite.PruneSpendAsync(prunedBefore));
        await AssertSameGroups(60);

        // Pruning took back what the pruned records added to the day totals, and no day total is left at zero records.
        using SqliteConnection raw = OpenRaw(sqlite.DatabasePath);
        Assert.Equal(0L, Scalar(raw, "SELECT count(*) FROM spend_daily WHERE records <= 0;"));
        Assert.Equal(
            Scalar(raw, "SELECT count(*) FROM spend_index;"),
            Scalar(raw, "SELECT sum(records) FROM spend_daily;"));

        static string Describe(IReadOnlyList<BudgetSpendGroup> groups) =>
            string.Join("; ", groups.Select(g => $"{g.Value}: {g.Calls} calls, {g.Refused} refused, ${g.Cost:0.############}, {g.Tokens}/{g.InputTokens}/{g.OutputTokens} tokens"));
    }

    [Fact]
    public async Task AVersion4Database_IsUpgradedInPlace_AndItsDailyTotalsAreAddedUpFromTheIndex()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        var all = new BudgetSpendQuery();
        IReadOnlyList<BudgetSpendGroup> byKey;
        await using (SqliteBudgetStore store = Open(directory, time, o => o.SpendIndexBatchSize = 4))
        {
            foreach (string key in (string[])["user:1", "team:0", "team:1", "team:2"])
            {
                await store.SetBudgetAsync(Project, key, new BudgetDefinition(1000m));
            }

            for (int i = 0; i < 10; i++)
            {
                await store.ChargeAsync(Project, ["user:1", $"team:{i % 3}"], 0.125m, "m", $"c{i}");
                time.Advance(TimeSpan.FromHours(7));
            }

            byKey = await store.GroupSpendAsync(Project, all, BudgetSpendGrouping.Key);
        }

        // What version 4 had: no spend_daily.
        using (SqliteConnection raw = OpenRaw(DatabaseFile(directory)))
        {
            Execute(raw, "DROP TABLE spend_daily; PRAGMA user_version = 4;");
        }

        await using (SqliteBudgetStore store = Open(directory, time))
        {
            Assert.Equal(
                byKey.Select(g => (g.Value, g.Calls, g.Cost)),
                (await store.GroupSpendAsync(Project, all, BudgetSpendGrouping.Key)).Select(g => (g.Value, g.Calls, g.Cost)));
        }

        using SqliteConnection check = OpenRaw(DatabaseFile(directory));
        Assert.Equal(5L, Scalar(check, "PRAGMA user_version;"));
        Assert.Equal(8L * 3, Scalar(check, "SELECT sum(records) FROM spend_daily;"));
    }

    [Fact]
    public async Task Prune_DeletesInBatches_UntilNothingOlderIsLeft()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time, o => o.Synchronous = SqliteSynchronousMode.Normal);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1000m));
        for (int i = 0; i < 1_100; i++)
        {
            await store.ChargeAsync(Project, ["user:1"], 0.01m, "m", $"c{i}");
            time.Advance(TimeSpan.FromMinutes(1));
        }

        long pruned = await store.PruneSpendAsync(Epoch.AddMinutes(1_050));

        Assert.Equal(1_050, pruned);
        Assert.Equal(Enumerable.Range(1_050, 50).Select(i => $"c{i}"), (await AllSpend(store)).Select(r => r.Id));
        Assert.Equal(50L, Assert.Single(await store.GroupSpendAsync(Project, new BudgetSpendQuery { Key = "user:1" }, BudgetSpendGrouping.Key)).Calls);

        // The index rows of the records deleted went with them.
        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        Assert.Equal(0L, Scalar(raw, "SELECT count(*) FROM spend_index i WHERE NOT EXISTS (SELECT 1 FROM spend_records r WHERE r.project = i.project AND r.sequence = i.record);"));
        Assert.Equal((long)(1_100 / SqliteSpendRecords.IndexBatchSize * SqliteSpendRecords.IndexBatchSize), Scalar(raw, $"SELECT spend_indexed FROM projects WHERE name = '{Project}';"));
    }

    [Fact]
    public async Task Queries_ReadOnTheirOwnConnection_WhileAnotherHoldsTheWriteLock()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        await using SqliteBudgetStore store = Open(directory, time, o => o.BusyTimeout = TimeSpan.FromSeconds(1));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.10m, "m", "c1");
        using SqliteConnection raw = OpenRaw(store.DatabasePath);
        Execute(raw, "BEGIN IMMEDIATE;");

        Assert.Equal(["c1"], (await AllSpend(store)).Select(r => r.Id));
        Assert.Equal(0.10m, Assert.Single(await store.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.Model)).Cost);
        await Assert.ThrowsAsync<TimeoutException>(() => store.AppendSpendAsync(Project, new BudgetSpendRecord { Keys = ["user:1"], Outcome = BudgetSpendOutcome.Refused }).AsTask());
        Execute(raw, "ROLLBACK;");
    }

    [Fact]
    public async Task AVersion3Database_IsUpgradedInPlace_KeepsItsBudgetsAndIds_AndGainsTheSpendLedger()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        string path = DatabaseFile(directory);
        CreateOldDatabase(path, userVersion: 3, $$"""
            {{Version3Columns}}
            INSERT INTO projects VALUES ('{{Project}}', 4);
            INSERT INTO budgets VALUES ('{{Project}}', 'user:1', '5', 'daily', 'calendar', '0.5', '2026-03-01T00:00:00.0000000+00:00',
                '2026-03-10T00:00:00.0000000+00:00', '2026-03-11T00:00:00.0000000+00:00', '1.25', '0.5', '{"gpt-4o":"1.25"}', 0,
                '2026-03-01T00:00:00.0000000+00:00', '2026-03-10T11:00:00.0000000+00:00', 'daily', 'enforce', NULL, NULL);
            INSERT INTO reservations VALUES ('{{Project}}', 'r1', 'active', '["user:1"]', '1', '0.5', '2026-03-10T13:00:00.0000000+00:00', NULL, 1000, 'gpt-4o');
            INSERT INTO reservations VALUES ('{{Project}}', 's0', 'settled', '[]', '', '1.25', '2026-03-10T11:00:00.0000000+00:00', '2026-03-10T12:05:00.0000000+00:00', 0, NULL);
            """);

        await using (SqliteBudgetStore store = Open(directory, time))
        {
            BudgetState user = await GetExisting(store, "user:1");
            Assert.Equal((1.25m, 0.5m, 5m), (user.Spent, user.Reserved, user.Limit));
            Assert.Empty(await AllSpend(store));
            Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "s0", 1.25m, null)).Status);

            Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.25m, null)).Status);
            BudgetSpendRecord record = Assert.Single(await AllSpend(store));
            Assert.Equal(("r1", 0.25m, "gpt-4o", 0.5m), (record.Id, record.Cost, record.Model, record.Held));

            // Spend from before the upgrade has no records: this window cannot balance, the next one does.
            Assert.False((await BudgetSpendVerifier.VerifyAsync(store, store, Project, "user:1"))!.IsBalanced);
            time.Advance(TimeSpan.FromDays(1));
            await store.ChargeAsync(Project, ["user:1"], 0.5m, "m", "c1");
            await AssertBalanced(store, store);
        }

        using SqliteConnection raw = OpenRaw(path);
        Assert.Equal(5L, Scalar(raw, "PRAGMA user_version;"));
        Assert.Equal(2L, Scalar(raw, "SELECT count(*) FROM spend_records;"));
        Assert.Equal(
            "spend_daily,spend_index,spend_records,spend_records_by_time",
            Scalar(raw, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE name LIKE 'spend%' ORDER BY name);"));
    }

    [Fact]
    public async Task ANewDatabase_AndAnUpgradedOne_HaveTheSameLayout()
    {
        string fresh = NewDirectory();
        await using (Open(fresh, TimeProvider.System))
        {
        }

        string upgraded = NewDirectory();
        CreateOldDatabase(DatabaseFile(upgraded), userVersion: 3, Version3Columns);
        await using (Open(upgraded, TimeProvider.System))
        {
        }

        const string Layout = "SELECT group_concat(type || ' ' || name || ': ' || sql, char(10)) FROM (SELECT * FROM sqlite_master ORDER BY name);";
        using SqliteConnection a = OpenRaw(DatabaseFile(fresh));
        using SqliteConnection b = OpenRaw(DatabaseFile(upgraded));
        Assert.Equal(Scalar(a, Layout), Scalar(b, Layout));
    }

    // ---------------------------------------------------------------- files that are not ours

    public static TheoryData<string, byte[]> NotSqliteFiles() => new()
    {
        { "text", "{\"alice\": {\"total_budget\": 10.0}}"u8.ToArray() },
        { "random bytes", Enumerable.Range(0, 8192).Select(i => (byte)(i * 7919 % 251)).ToArray() },
        { "short SQLite header", "SQLite format 3\0"u8.ToArray() },
        { "SQLite header, garbage after", [.. "SQLite format 3\0"u8.ToArray(), .. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31 % 253))] },
    };

    [Theory]
    [MemberData(nameof(NotSqliteFiles))]
    public void AFileThatIsNotSqlite_IsReportedNamingIt_AndLeftUnchanged(string what, byte[] content)
    {
        string directory = NewDirectory();
        string path = DatabaseFile(directory);
        File.WriteAllBytes(path, content);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Open(directory, TimeProvider.System));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"The {what} file was changed.");
    }

    [Fact]
    public void TheSqliteDatabaseOfAnotherApplication_IsReportedNamingIt_AndLeftUnchanged()
    {
        string directory = NewDirectory();
        string path = Path.Combine(directory, "app.db");
        using (SqliteConnection raw = OpenRaw(path))
        {
            Execute(raw, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me');");
        }

        byte[] before = File.ReadAllBytes(path);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Open(directory, TimeProvider.System, o => o.DatabasePath = "app.db"));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("another application", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task ADatabaseOfANewerSchema_IsReportedNamingIt_AndLeftUnchanged()
    {
        string directory = NewDirectory();
        await using (SqliteBudgetStore store = Open(directory, TimeProvider.System))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        }

        string path = DatabaseFile(directory);
        using (SqliteConnection raw = OpenRaw(path))
        {
            Execute(raw, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99;");
        }

        byte[] before = File.ReadAllBytes(path);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Open(directory, TimeProvider.System));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task AVersion1Database_IsUpgradedInPlace_AndItsEndedIdsKeepTheirOldMeaning()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        string path = DatabaseFile(directory);

        // What version 1 wrote for a settled reservation: its id "completed", without keys.
        CreateOldDatabase(path, userVersion: 1, $$"""
            INSERT INTO projects VALUES ('{{Project}}', 3);
            INSERT INTO budgets VALUES ('{{Project}}', 'user:1', '1', 'none', 'calendar', '', '2026-03-10T11:00:00.0000000+00:00',
                '2026-03-10T11:00:00.0000000+00:00', NULL, '0.25', '0', '{}', 0, '2026-03-10T11:00:00.0000000+00:00', '2026-03-10T11:30:00.0000000+00:00');
            INSERT INTO reservations VALUES ('{{Project}}', 'r1', 'completed', '[]', '', '0.25', '2026-03-10T12:30:00.0000000+00:00', '2026-03-10T12:05:00.0000000+00:00');
            """);

        await using SqliteBudgetStore reopened = Open(directory, time);

        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reopened.SettleAsync(Project, "r1", 0.25m, null)).Status);
        Assert.Equal(BudgetConflict.Ended, (await reopened.ReserveAsync(Project, ["user:1"], 0.30m, "r1", Epoch.AddHours(1))).Conflict);
        Assert.Equal(0.25m, (await GetExisting(reopened, "user:1")).Spent);
        using SqliteConnection check = OpenRaw(path);
        Assert.Equal(5L, Scalar(check, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task ADamagedDatabase_WithAnIntactHeader_IsRefusedAtOpen_NamingTheFile()
    {
        string directory = NewDirectory();
        await using (SqliteBudgetStore store = Open(directory, TimeProvider.System))
        {
            for (int i = 0; i < 300; i++)
            {
                await store.SetBudgetAsync(Project, $"user:{i}", new BudgetDefinition(1m));
            }
        }

        string path = DatabaseFile(directory);
        using (SqliteConnection raw = OpenRaw(path))
        {
            Execute(raw, "PRAGMA journal_mode = DELETE;");
        }

        // Pages after the first two overwritten: the header and the schema still read, the tables do not.
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 3 * 4096, $"the database is only {bytes.Length} bytes");
        for (int i = 2 * 4096; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 7919 % 251);
        }

        File.WriteAllBytes(path, bytes);

        // Without the check it opens, and would fail on every operation later.
        await using (Open(directory, TimeProvider.System, o => o.CheckIntegrityOnOpen = false))
        {
        }

        byte[] before = File.ReadAllBytes(path);
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Open(directory, TimeProvider.System));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task AnEmptyFile_BecomesANewDatabase()
    {
        string directory = NewDirectory();
        await File.WriteAllBytesAsync(DatabaseFile(directory), []);

        await using SqliteBudgetStore store = Open(directory, TimeProvider.System);

        Assert.Equal(1m, (await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m))).Limit);
    }

    // ---------------------------------------------------------------- options and lifetime

    public static TheoryData<string, Action<SqliteBudgetStoreOptions>> InvalidOptions() => new()
    {
        { nameof(SqliteBudgetStoreOptions.DataDirectory), o => o.DataDirectory = " " },
        { nameof(SqliteBudgetStoreOptions.DatabasePath), o => o.DatabasePath = "" },
        { nameof(SqliteBudgetStoreOptions.DatabasePath), o => o.DatabasePath = ":memory:" },
        { nameof(SqliteBudgetStoreOptions.DatabasePath), o => o.DatabasePath = "file:budgets.db?mode=memory" },
        { nameof(SqliteBudgetStoreOptions.Ledger), o => o.Ledger = null! },
        { nameof(BudgetStoreOptions.TimeZone), o => o.Ledger.TimeZone = null! },
        { nameof(BudgetStoreOptions.CompletedIdRetention), o => o.Ledger.CompletedIdRetention = TimeSpan.Zero },
        { nameof(SqliteBudgetStoreOptions.BusyTimeout), o => o.BusyTimeout = TimeSpan.Zero },
        { nameof(SqliteBudgetStoreOptions.BusyTimeout), o => o.BusyTimeout = TimeSpan.FromDays(30) },
        { nameof(SqliteBudgetStoreOptions.Synchronous), o => o.Synchronous = (SqliteSynchronousMode)7 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_RejectsInvalidOptions_NamingThem_AndCreatesNoFile(string option, Action<SqliteBudgetStoreOptions> configure)
    {
        string directory = NewDirectory();

        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => Open(directory, TimeProvider.System, o =>
        {
            o.DataDirectory = directory;
            configure(o);
        }));

        Assert.Equal(option, ex.ParamName);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public void Options_Default_ToBudgetsDbInTheWorkingDirectory_WithFullSync()
    {
        var options = new SqliteBudgetStoreOptions();

        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "budgets.db"), options.GetFullDatabasePath());
        Assert.Equal(SqliteSynchronousMode.Full, options.Synchronous);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BusyTimeout);
    }

    [Fact]
    public async Task DatabasePath_IsRelativeToTheDataDirectory_WhichIsCreated()
    {
        string directory = Path.Combine(NewDirectory(), "nested", "data");

        await using SqliteBudgetStore store = Open(directory, TimeProvider.System, o =>
        {
            o.DatabasePath = "sub/mine.sqlite";
            o.Synchronous = SqliteSynchronousMode.Normal;
        });
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        Assert.Equal(Path.Combine(directory, "sub", "mine.sqlite"), store.DatabasePath);
        Assert.True(File.Exists(store.DatabasePath));
    }

    [Fact]
    public async Task Disposed_StoreThrowsObjectDisposed_AndDisposingTwiceIsHarmless()
    {
        string directory = NewDirectory();
        SqliteBudgetStore store = Open(directory, TimeProvider.System);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        await store.DisposeAsync();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetBudgetAsync(Project, "user:1").AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.SweepAsync().AsTask());

        // Closed means closed: the file can be deleted and created afresh by another store.
        File.Delete(store.DatabasePath);
        await using SqliteBudgetStore fresh = Open(directory, TimeProvider.System);
        Assert.Null(await fresh.GetBudgetAsync(Project, "user:1"));
    }
}
