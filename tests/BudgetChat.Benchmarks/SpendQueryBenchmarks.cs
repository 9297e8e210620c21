using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BudgetChat.Sqlite;

namespace BudgetChat.Benchmarks;

/// <summary>
/// Grouped spend queries over 1,000,000 records of one project in <see cref="SqliteBudgetStore"/>: by user (1,000 users),
/// by model (8 models), by key (1,001 keys, two per record), by UTC day (30 days), the total of one key, and the newest page
/// of one user, each over the whole project; by key over the last seven days (a range that starts and ends inside a day),
/// and the ten costliest users.
/// </summary>
/// <remarks>
/// The records are written once, through the store (charges applied by the ledger in batches of 10,000 per transaction,
/// the way a busy service writes them), into a file kept in the temp folder between runs (its name says what is in it),
/// so each benchmark process reuses it.
/// </remarks>
[MemoryDiagnoser]
public class SpendQueryBenchmarks
{
    private const string Project = "bench";
    private const int Records = 1_000_000;
    private const int Batch = 10_000;
    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "claude-opus-4-1", "o3", "gemini-2.5-pro", "gpt-5", "gpt-5-mini"];

    private SqliteBudgetStore _store = null!;
    private readonly BudgetSpendQuery _all = new();
    private BudgetSpendQuery _lastWeek = null!;

    [GlobalSetup]
    public void Setup()
    {
        string directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", $"spend-{Records}-v1");
        bool seeded = File.Exists(Path.Combine(directory, "seeded"));
        if (!seeded && Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        // The records span 30 days: the store's clock starts 30 days back and moves on with each batch.
        var clock = new SteppedClock(DateTimeOffset.UtcNow.AddDays(-30));
        _store = new SqliteBudgetStore(
            new SqliteBudgetStoreOptions { DataDirectory = directory, Synchronous = SqliteSynchronousMode.Normal, Ledger = { CompletedIdRetention = TimeSpan.FromTicks(1) } },
            clock);
        if (!seeded)
        {
            Seed(clock);
            File.WriteAllText(Path.Combine(directory, "seeded"), Records.ToString(CultureInfo.InvariantCulture));
        }

        // The seven days before the newest record, starting and ending inside a day (as "the last 7 days" from now does).
        DateTimeOffset newest = _store.QuerySpendAsync(Project, new BudgetSpendQuery { Limit = 1 }).AsTask().GetAwaiter().GetResult().Records[0].Time;
        _lastWeek = new BudgetSpendQuery { From = newest.AddDays(-7), To = newest };
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> ByUser() => _store.GroupSpendAsync(Project, _all, BudgetSpendGrouping.User).AsTask();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> ByModel() => _store.GroupSpendAsync(Project, _all, BudgetSpendGrouping.Model).AsTask();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> ByKey() => _store.GroupSpendAsync(Project, _all, BudgetSpendGrouping.Key).AsTask();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> ByKeyLastWeek() => _store.GroupSpendAsync(Project, _lastWeek, BudgetSpendGrouping.Key).AsTask();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> TopTenUsers() => _store.GroupSpendAsync(Project, _all with { Top = 10 }, BudgetSpendGrouping.User).AsTask();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> ByDay() => _store.GroupSpendAsync(Project, _all, BudgetSpendGrouping.Day).AsTask();

    [Benchmark]
    public Task<IReadOnlyList<BudgetSpendGroup>> OneKeyTotal() =>
        _store.GroupSpendAsync(Project, _all with { Key = "user:17" }, BudgetSpendGrouping.None).AsTask();

    [Benchmark]
    public Task<BudgetSpendPage> NewestPageOfOneUser() => _store.QuerySpendAsync(Project, _all with { User = "u17", Limit = 100 }).AsTask();

    private void Seed(SteppedClock clock)
    {
        var stopwatch = Stopwatch.StartNew();
        _store.SetBudgetAsync(Project, "global", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        for (int user = 0; user < 1_000; user++)
        {
            _store.SetBudgetAsync(Project, $"user:{user}", new BudgetDefinition(1_000_000m)).AsTask().GetAwaiter().GetResult();
        }

        var random = new Random(42);
        for (int start = 0; start < Records; start += Batch)
        {
            clock.Now += TimeSpan.FromDays(30.0 * Batch / Records);
            _store.UpdateProjectAsync(Project, (random, start), static (ledger, state, now) =>
            {
                for (int i = state.start; i < state.start + Batch; i++)
                {
                    int user = state.random.Next(1_000);
                    string model = Models[state.random.Next(Models.Length)];
                    var record = new BudgetSpendRecord { User = $"u{user}", RequestedModel = model, InputTokens = 1_000, OutputTokens = 200 };
                    decimal cost = Math.Round((decimal)state.random.NextDouble() * 0.05m, 12);
                    ledger.Charge([$"user:{user}", "global"], new BudgetUsage(cost, 1_200, model) { Record = record }, $"c{i:x}", now);
                }

                return 0;
            }).AsTask().GetAwaiter().GetResult();
        }

        Console.WriteLine($"// Seeded {Records:#,0} spend records in {stopwatch.Elapsed.TotalSeconds:0} s.");
    }

    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
