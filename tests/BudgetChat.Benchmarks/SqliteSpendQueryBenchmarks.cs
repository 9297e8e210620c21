using BenchmarkDotNet.Attributes;
using BudgetChat.Sqlite;
using BudgetChat.Stores;

namespace BudgetChat.Benchmarks;

/// <summary>
/// A grouped spend query over 1,000,000 records of one project (and 200,000 of another in the same file), by each
/// grouping, over the whole project and over one day of its 30: the target is under 500 ms. The records are written
/// through the ledger, 10,000 charges per <see cref="SqliteBudgetStore.UpdateProjectAsync"/>, by 1,000 users on 8 models;
/// one user in ten charges a team key too. Setup takes a minute or two.
/// </summary>
[MemoryDiagnoser]
public class SqliteSpendQueryBenchmarks
{
    private const string Project = "acme";
    private const int Records = 1_000_000;
    private const int Batch = 10_000;
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "claude-opus-4-1", "o3", "gemini-2.5-pro", "gpt-5", "gpt-5-mini"];

    private string _directory = null!;
    private SqliteBudgetStore _store = null!;

    [Params(BudgetSpendGrouping.None, BudgetSpendGrouping.User, BudgetSpendGrouping.Model, BudgetSpendGrouping.Key, BudgetSpendGrouping.Day, BudgetSpendGrouping.Hour, BudgetSpendGrouping.Outcome)]
    public BudgetSpendGrouping Grouping { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", Guid.NewGuid().ToString("N"));
        var clock = new SteppedClock(Start);
        _store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = _directory, Synchronous = SqliteSynchronousMode.Normal }, clock);
        foreach (string project in new[] { Project, "other" })
        {
            _store.UpdateProjectAsync(project, 0, static (ledger, _, now) =>
            {
                for (int u = 0; u < 1_000; u++)
                {
                    ledger.Set($"user:{u}", new BudgetDefinition(1_000_000m), null, now);
                }

                for (int t = 0; t < 7; t++)
                {
                    ledger.Set($"team:{t}", new BudgetDefinition(1_000_000m), null, now);
                }

                ledger.Set("global", new BudgetDefinition(1_000_000_000m), null, now);
                return 0;
            }).AsTask().GetAwaiter().GetResult();
        }

        // Every sixth batch is the other project's; the clock moves on between batches so that 30 days are covered.
        int batches = Records / Batch * 6 / 5;
        TimeSpan step = TimeSpan.FromDays(30) / batches;
        for (int b = 0; b < batches; b++)
        {
            _store.UpdateProjectAsync(b % 6 == 5 ? "other" : Project, b, static (ledger, seed, now) => Charge(ledger, seed, now)).AsTask().GetAwaiter().GetResult();
            clock.Now += step;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public async Task<int> WholeProject() => (await _store.GroupSpendAsync(Project, new BudgetSpendQuery(), Grouping)).Count;

    [Benchmark]
    public async Task<int> OneDay() =>
        (await _store.GroupSpendAsync(Project, new BudgetSpendQuery { From = Start.AddDays(10), To = Start.AddDays(11) }, Grouping)).Count;

    private static int Charge(BudgetLedger ledger, int seed, DateTimeOffset now)
    {
        var random = new Random(seed);
        for (int i = 0; i < Batch; i++)
        {
            int user = random.Next(1_000);
            string[] keys = user % 10 == 0 ? [$"user:{user}", $"team:{user % 7}", "global"] : [$"user:{user}", "global"];
            int input = random.Next(100, 5_000);
            int output = random.Next(10, 2_000);
            decimal cost = Math.Round((decimal)random.NextDouble() * 0.05m, 12);
            ledger.Charge(keys, new BudgetUsage(cost, input + output, Models[random.Next(Models.Length)])
            {
                Record = new BudgetSpendRecord { User = $"{user}", InputTokens = input, OutputTokens = output, RequestedModel = "gpt-4o" },
            }, $"c{seed}-{i}", now);
        }

        return Batch;
    }

    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
