using BudgetChat.Http;
using BudgetChat.Benchmarks;
using BudgetChat.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.StoreBench;

/// <summary>What is measured: one reserve + settle pair, made by a worker with an id of its own.</summary>
internal interface ITarget : IAsyncDisposable
{
    Task PairAsync(int worker, string id);

    /// <summary>The processor time of the target's server processes so far (zero when it runs in this process).</summary>
    TimeSpan ServerProcessorTime() => TimeSpan.Zero;
}

internal sealed record TargetFactory(string Name, Func<Task<ITarget>> Create);

internal static class Targets
{
    public const string Project = "bench";
    public const int Users = 100;

    public static readonly TargetFactory[] All =
    [
        new("sqlite-anchor (bare SQL, FULL)", SqliteAnchor.CreateAsync),
        new("SqliteBudgetStore (FULL)", () => StoreTarget.CreateAsync(Sqlite(SqliteSynchronousMode.Full))),
        new("SqliteBudgetStore (NORMAL)", () => StoreTarget.CreateAsync(Sqlite(SqliteSynchronousMode.Normal))),
        new("service over SQLite (FULL)", ServiceTarget.CreateAsync),
    ];

    public static string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "budgetchat-storebench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static Func<(IBudgetStore, Action)> Sqlite(SqliteSynchronousMode synchronous) => () =>
    {
        string directory = NewDirectory();
        var store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = directory, Synchronous = synchronous });
        return (store, () =>
        {
            store.Dispose();
            Directory.Delete(directory, recursive: true);
        });
    };
}

/// <summary>Pairs through an <see cref="IBudgetStore"/>: reserve $0.01 on the worker's user and global, settle $0.008.</summary>
internal sealed class StoreTarget(IBudgetStore store, Action dispose) : ITarget
{
    private static readonly string[][] Keys = [.. Enumerable.Range(0, Targets.Users).Select(u => new[] { $"user:{u}", "global" })];

    public static async Task<ITarget> CreateAsync(Func<(IBudgetStore, Action)> create)
    {
        (IBudgetStore store, Action dispose) = create();
        await SeedAsync(store);
        return new StoreTarget(store, dispose);
    }

    public static async Task SeedAsync(IBudgetStore store)
    {
        await store.SetBudgetAsync(Targets.Project, "global", new BudgetDefinition(1_000_000_000m));
        for (int u = 0; u < Targets.Users; u++)
        {
            await store.SetBudgetAsync(Targets.Project, $"user:{u}", new BudgetDefinition(1_000_000_000m));
        }
    }

    public async Task PairAsync(int worker, string id)
    {
        BudgetReservationResult reserved = await store.ReserveAsync(Targets.Project, Keys[worker % Targets.Users], 0.01m, id, DateTimeOffset.UtcNow.AddMinutes(5));
        if (!reserved.IsReserved)
        {
            throw new InvalidOperationException($"Reserve {id} was refused: {reserved.Status}.");
        }

        await store.SettleAsync(Targets.Project, id, 0.008m, "gpt-4o");
    }

    public ValueTask DisposeAsync()
    {
        dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The budget service on 127.0.0.1 in this process (SQLite, FULL), called through <see cref="HostedBudgetStore"/>.</summary>
internal static class ServiceTarget
{
    public static async Task<ITarget> CreateAsync()
    {
        var server = new BenchmarkService(_ => { });
        var services = new ServiceCollection();
        services.AddHostedBudgetStore(o => o.BaseAddress = server.BaseAddress);
        ServiceProvider client = services.BuildServiceProvider();
        return await StoreTarget.CreateAsync(() => (client.GetRequiredService<IBudgetStore>(), () =>
        {
            client.Dispose();
            server.Dispose();
        }));
    }
}

/// <summary>
/// The anchor: the same pair as bare SQL on one connection, one transaction each (WAL, synchronous=FULL): reserve checks
/// both limits and holds, settle moves the hold to spend. What any SQLite store pays at least, without group commit.
/// </summary>
internal sealed class SqliteAnchor : ITarget
{
    private readonly string _directory = Targets.NewDirectory();
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteAnchor()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "anchor.db")};Pooling=False");
        _connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
            CREATE TABLE budgets (key TEXT PRIMARY KEY, lim TEXT NOT NULL, spent TEXT NOT NULL, reserved TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE holds (id TEXT PRIMARY KEY, keys TEXT NOT NULL, amount TEXT NOT NULL) WITHOUT ROWID;
            INSERT INTO budgets VALUES ('global', '1000000000', '0', '0');
            """);
        for (int u = 0; u < Targets.Users; u++)
        {
            Execute($"INSERT INTO budgets VALUES ('user:{u}', '1000000000', '0', '0');");
        }
    }

    public static Task<ITarget> CreateAsync() => Task.FromResult<ITarget>(new SqliteAnchor());

    public async Task PairAsync(int worker, string id)
    {
        string user = $"user:{worker % Targets.Users}";
        await _gate.WaitAsync();
        try
        {
            using (SqliteTransaction reserve = _connection.BeginTransaction(deferred: false))
            {
                using SqliteCommand hold = _connection.CreateCommand();
                hold.Transaction = reserve;
                hold.CommandText = """
                    UPDATE budgets SET reserved = CAST(reserved AS REAL) + 0.01 WHERE key IN ($user, 'global') AND CAST(spent AS REAL) + CAST(reserved AS REAL) + 0.01 <= CAST(lim AS REAL);
                    INSERT INTO holds VALUES ($id, $user, '0.01');
                    """;
                hold.Parameters.AddWithValue("$user", user);
                hold.Parameters.AddWithValue("$id", id);
                hold.ExecuteNonQuery();
                reserve.Commit();
            }

            using SqliteTransaction settle = _connection.BeginTransaction(deferred: false);
            using SqliteCommand move = _connection.CreateCommand();
            move.Transaction = settle;
            move.CommandText = """
                UPDATE budgets SET reserved = CAST(reserved AS REAL) - 0.01, spent = CAST(spent AS REAL) + 0.008 WHERE key IN ($user, 'global');
                DELETE FROM holds WHERE id = $id;
                """;
            move.Parameters.AddWithValue("$user", user);
            move.Parameters.AddWithValue("$id", id);
            move.ExecuteNonQuery();
            settle.Commit();
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private void Execute(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
