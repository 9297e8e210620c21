using BenchmarkDotNet.Attributes;
using BudgetChat.Sqlite;

namespace BudgetChat.Benchmarks;

/// <summary>
/// The dashboard's pages over HTTP from the service on loopback (open mode), with 100,000 budgets in the project and one
/// spend record per budget (100,000 records): the main page (budgets, totals, charts, refusals) and the call log.
/// </summary>
[MemoryDiagnoser]
public class DashboardBenchmarks
{
    private const string Project = "bench";
    private const int Budgets = 100_000;

    private BenchmarkService _service = null!;
    private HttpClient _http = null!;

    [GlobalSetup]
    public void Setup()
    {
        _service = new BenchmarkService(o =>
        {
            o.Synchronous = SqliteSynchronousMode.Normal;
            o.Ledger.CompletedIdRetention = TimeSpan.FromTicks(1);
        });
        SqliteBudgetStore store = _service.Store;
        store.UpdateProjectAsync(Project, 0, static (ledger, _, now) =>
        {
            ledger.Set("global", new BudgetDefinition(10_000_000m, BudgetPeriod.Monthly), null, now);
            for (int i = 0; i < Budgets; i++)
            {
                string key = $"user:{i:d6}";
                ledger.Set(key, new BudgetDefinition(10m, BudgetPeriod.Daily), null, now);
                var record = new BudgetSpendRecord { User = $"{i:d6}", RequestedModel = "gpt-4o", InputTokens = 1_000, OutputTokens = 200 };
                ledger.Charge([key, "global"], new BudgetUsage(0.01m * (i % 500), 1_200, i % 3 == 0 ? "gpt-4o" : "gpt-4o-mini") { Record = record }, $"c{i}", now);
            }

            return 0;
        }).AsTask().GetAwaiter().GetResult();
        _http = new HttpClient { BaseAddress = _service.BaseAddress };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _service.Dispose();
    }

    [Benchmark]
    public async Task<int> MainPage() => (await _http.GetStringAsync(new Uri($"/dashboard/projects/{Project}", UriKind.Relative))).Length;

    [Benchmark]
    public async Task<int> CallLog() => (await _http.GetStringAsync(new Uri($"/dashboard/projects/{Project}/log", UriKind.Relative))).Length;
}
