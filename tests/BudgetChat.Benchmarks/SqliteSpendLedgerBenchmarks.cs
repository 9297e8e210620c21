using System.Globalization;
using BenchmarkDotNet.Attributes;
using BudgetChat.Sqlite;

namespace BudgetChat.Benchmarks;

/// <summary>
/// What the spend ledger costs a <see cref="SqliteBudgetStore"/>: one reserve + settle (with the caller's record details,
/// as the middleware sends them) with <see cref="SqliteBudgetStoreOptions.KeepSpendRecords"/> on and off, at both
/// durabilities. The ledger's cost is 1 − (time without / time with).
/// </summary>
[MemoryDiagnoser]
public class SqliteSpendLedgerBenchmarks
{
    private const string Project = "bench";
    private const int Users = 100;

    private string _directory = null!;
    private SqliteBudgetStore _store = null!;
    private string[][] _keys = null!;
    private long _next;

    [Params(true, false)]
    public bool KeepSpendRecords { get; set; }

    [Params(SqliteSynchronousMode.Full, SqliteSynchronousMode.Normal)]
    public SqliteSynchronousMode Synchronous { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", Guid.NewGuid().ToString("N"));
        _store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = _directory, Synchronous = Synchronous, KeepSpendRecords = KeepSpendRecords });
        _keys = [.. Enumerable.Range(0, Users).Select(u => new[] { $"user:{u}", "global" })];
        for (int u = 0; u < Users; u++)
        {
            _store.SetBudgetAsync(Project, $"user:{u}", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        }

        _store.SetBudgetAsync(Project, "global", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public async Task ReserveAndSettle()
    {
        long i = Interlocked.Increment(ref _next);
        string id = i.ToString(CultureInfo.InvariantCulture);
        int user = (int)(i % Users);
        await _store.ReserveAsync(Project, _keys[user], new BudgetUsage(0.05m, 2_000, "gpt-4o"), id, DateTimeOffset.UtcNow.AddMinutes(5));
        await _store.SettleAsync(Project, id, new BudgetUsage(0.012345678901m, 1_500, "gpt-4o")
        {
            Record = new BudgetSpendRecord
            {
                User = user.ToString(CultureInfo.InvariantCulture),
                RequestedModel = "gpt-4o",
                InputTokens = 1_200,
                OutputTokens = 300,
                Duration = TimeSpan.FromMilliseconds(850),
                TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
            },
        });
    }
}
