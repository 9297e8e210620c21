using BudgetChat.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests;

/// <summary>The outbox's entries in a SQLite file: a process that stops (or dies) before the store is back loses none.</summary>
public sealed class SqliteBudgetOutboxStorageTests : IDisposable
{
    private const string Project = "app";
    private static readonly string[] AliceKeys = [BudgetKeys.ForUser("alice"), BudgetKeys.Global];

    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));

    private string OutboxFile => Path.Combine(_folder.Path, "data", "outbox.db");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task SavedEntries_AreLoadedByAnotherInstance_ExactlyAsSaved()
    {
        using (var storage = new SqliteBudgetOutboxStorage(OutboxFile))
        {
            await storage.SaveAsync(Entry(BudgetOutboxOperation.Settle, "call-1", 0.000000000123m, "gpt-4o"));
            await storage.SaveAsync(Entry(BudgetOutboxOperation.Charge, "call-2", 12.5m, null));
            await storage.SaveAsync(Entry(BudgetOutboxOperation.Charge, "call-2", 99m, null)); // a repeat keeps the first
        }

        using var reopened = new SqliteBudgetOutboxStorage(OutboxFile);
        IReadOnlyList<BudgetOutboxEntry> entries = await reopened.LoadAsync();

        Assert.Equal(2, entries.Count);
        BudgetOutboxEntry settle = entries.Single(e => e.Id == "call-1");
        Assert.Equal(BudgetOutboxOperation.Settle, settle.Operation);
        Assert.Equal(0.000000000123m, settle.Cost);
        Assert.Equal("gpt-4o", settle.Model);
        Assert.Equal(AliceKeys, settle.Keys);
        Assert.Equal(_time.GetUtcNow(), settle.QueuedAt);
        BudgetOutboxEntry charge = entries.Single(e => e.Id == "call-2");
        Assert.Equal((BudgetOutboxOperation.Charge, 12.5m, (string?)null), (charge.Operation, charge.Cost, charge.Model));
    }

    [Fact]
    public async Task TheTokensOfAnEntry_SurviveARestart()
    {
        using (var storage = new SqliteBudgetOutboxStorage(OutboxFile))
        {
            await storage.SaveAsync(new BudgetOutboxEntry(BudgetOutboxOperation.Settle, Project, "call-1", AliceKeys, 0.25m, "gpt-4o", _time.GetUtcNow(), tokens: 123_456_789_012));
            await storage.SaveAsync(Entry(BudgetOutboxOperation.Charge, "call-2", 0.5m, null));
        }

        using var reopened = new SqliteBudgetOutboxStorage(OutboxFile);
        IReadOnlyList<BudgetOutboxEntry> entries = await reopened.LoadAsync();

        Assert.Equal(new BudgetUsage(0.25m, 123_456_789_012, "gpt-4o"), entries.Single(e => e.Id == "call-1").Usage);
        Assert.Equal(0, entries.Single(e => e.Id == "call-2").Tokens);
    }

    [Fact]
    public async Task AFileWrittenBeforeTokensWereKept_IsUpgraded_ItsEntriesWithNone()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(OutboxFile)!);
        using (SqliteConnection raw = OpenRaw(OutboxFile))
        {
            // The table and mark as the outbox wrote them before it kept tokens.
            Execute(raw, $"""
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
                PRAGMA application_id = {0x42434F42};
                INSERT INTO outbox VALUES ('app', 'old-call', 'settle', '["user:alice","global"]', '0.75', 'gpt-4o', '2026-12-03T08:00:00.0000000+00:00');
                """);
        }

        using (var storage = new SqliteBudgetOutboxStorage(OutboxFile))
        {
            BudgetOutboxEntry old = Assert.Single(await storage.LoadAsync());
            Assert.Equal(("old-call", new BudgetUsage(0.75m, 0, "gpt-4o")), (old.Id, old.Usage));
            await storage.SaveAsync(new BudgetOutboxEntry(BudgetOutboxOperation.Charge, Project, "new-call", AliceKeys, 0.5m, null, _time.GetUtcNow(), tokens: 42));
        }

        using var reopened = new SqliteBudgetOutboxStorage(OutboxFile);
        Assert.Equal([("old-call", 0L), ("new-call", 42L)], (await reopened.LoadAsync()).Select(e => (e.Id, e.Tokens)));
        using SqliteConnection check = OpenRaw(OutboxFile);
        Assert.Equal(1L, Scalar(check, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task AFileOfANewerVersion_IsRefused_AndLeftAsItIs()
    {
        using (var storage = new SqliteBudgetOutboxStorage(OutboxFile))
        {
            await storage.SaveAsync(Entry(BudgetOutboxOperation.Settle, "call-1", 1m, null));
        }

        using (SqliteConnection raw = OpenRaw(OutboxFile))
        {
            Execute(raw, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99;");
        }

        byte[] before = await File.ReadAllBytesAsync(OutboxFile);
        var ex = Assert.Throws<InvalidDataException>(() => new SqliteBudgetOutboxStorage(OutboxFile));

        Assert.Contains(OutboxFile, ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(OutboxFile));
    }

    [Fact]
    public async Task RemovedEntries_AreGone()
    {
        using var storage = new SqliteBudgetOutboxStorage(OutboxFile);
        await storage.SaveAsync(Entry(BudgetOutboxOperation.Settle, "call-1", 1m, null));
        await storage.SaveAsync(Entry(BudgetOutboxOperation.Settle, "call-2", 2m, null));

        await storage.RemoveAsync(Project, "call-1");
        await storage.RemoveAsync(Project, "not-there");

        Assert.Equal(["call-2"], (await storage.LoadAsync()).Select(e => e.Id));
    }

    [Fact]
    public async Task AnotherDatabase_IsRefused_AndLeftAsItIs()
    {
        string budgets = Path.Combine(_folder.Path, "budgets.db");
        using (new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = budgets }))
        {
        }

        byte[] before = await File.ReadAllBytesAsync(budgets);
        var ex = Assert.Throws<InvalidDataException>(() => new SqliteBudgetOutboxStorage(budgets));

        Assert.Contains(budgets, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(budgets));
    }

    [Fact]
    public async Task ANonSqliteFile_IsRefused_NamingIt()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(OutboxFile)!);
        await File.WriteAllTextAsync(OutboxFile, "not a database, just some text that is long enough to have a header");

        var ex = Assert.Throws<InvalidDataException>(() => new SqliteBudgetOutboxStorage(OutboxFile));

        Assert.Contains(OutboxFile, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACostKeptWhenTheProcessStops_IsChargedOnce_ByTheNextStart()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        await store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, BudgetKeys.Global, new BudgetDefinition(100m));
        await store.ReserveAsync(Project, AliceKeys, 1m, "call-1", _time.GetUtcNow().AddMinutes(5));
        var down = new OutageStore(store) { Down = true };

        // The first run: the store is down when the call settles, and the process stops without draining (it died).
        var firstStorage = new SqliteBudgetOutboxStorage(OutboxFile);
        var first = new BudgetOutbox(down, storage: firstStorage, timeProvider: _time);
        Assert.True(await first.AddAsync(Entry(BudgetOutboxOperation.Settle, "call-1", 0.4m, "gpt-4o")));
        Assert.Equal(1, await first.RetryAsync());

        // The next run, on the same file, with the store back: it loads the entry and records it once.
        down.Down = false;
        using var secondStorage = new SqliteBudgetOutboxStorage(OutboxFile);
        await using var second = new BudgetOutbox(down, storage: secondStorage, timeProvider: _time);
        await second.StartAsync(); // loads the entry and sends it at once
        Assert.Equal(0, await second.RetryAsync());

        Assert.Equal(0.4m, (await store.GetBudgetAsync(Project, BudgetKeys.ForUser("alice")))!.Spent);
        Assert.Equal(0.4m, (await store.GetBudgetAsync(Project, BudgetKeys.Global))!.Spent);
        Assert.Empty(await secondStorage.LoadAsync());

        // The first run's entry, had it been sent too, is a repeat: nothing more is charged.
        await first.RetryAsync();
        Assert.Equal(0.4m, (await store.GetBudgetAsync(Project, BudgetKeys.ForUser("alice")))!.Spent);
        first.Dispose();
        firstStorage.Dispose();
    }

    [Fact]
    public async Task AddSqliteBudgetOutbox_GivesTheHostsOutboxItsFile()
    {
        var store = new InMemoryBudgetStore(timeProvider: _time);
        var down = new OutageStore(store) { Down = true };
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IBudgetStore>(down);
        builder.Services.AddBudgetChat();
        builder.Services.Configure<BudgetOutboxOptions>(o => o.DrainTimeout = TimeSpan.Zero);
        builder.Services.AddSqliteBudgetOutbox(OutboxFile);
        using (IHost host = builder.Build())
        {
            await host.StartAsync();
            await host.Services.GetRequiredService<BudgetOutbox>().AddAsync(Entry(BudgetOutboxOperation.Charge, "call-9", 0.2m, null));
            await host.StopAsync();
        }

        using var storage = new SqliteBudgetOutboxStorage(OutboxFile);
        Assert.Equal(["call-9"], (await storage.LoadAsync()).Select(e => e.Id));
    }

    private static SqliteConnection OpenRaw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private BudgetOutboxEntry Entry(BudgetOutboxOperation operation, string id, decimal cost, string? model) =>
        new(operation, Project, id, AliceKeys, cost, model, _time.GetUtcNow());
}
