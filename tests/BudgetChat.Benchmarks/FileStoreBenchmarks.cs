using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace BudgetChat.Benchmarks;

/// <summary>
/// One <see cref="FileBudgetStore.ChargeAsync"/> on an existing user of a file holding <see cref="Users"/> users: the
/// lock file, a journal append, and the compactions that come due amortized in. LiteLLM's BudgetManager rewrites the
/// whole file on every charge (19 updates/s at 10,000 users); the charge here should cost the same at either size.
/// </summary>
[MemoryDiagnoser]
public class FileStoreBenchmarks
{
    private const string Project = "bench";
    private static readonly string[] Keys = ["user:0"];

    private string _directory = null!;
    private FileBudgetStore _store = null!;
    private long _next;

    [Params(1, 10_000)]
    public int Users { get; set; }

    [Params(false, true)]
    public bool FlushToDisk { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", Guid.NewGuid().ToString("N"));
        _store = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _directory, FlushToDiskOnEveryWrite = FlushToDisk });
        for (int u = 0; u < Users; u++)
        {
            _store.SetBudgetAsync(Project, $"user:{u}", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        }

        _store.SaveAsync(Project).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public ValueTask<BudgetCompletion> Charge() =>
        _store.ChargeAsync(Project, Keys, 0.000001m, "gpt-4o", (++_next).ToString(CultureInfo.InvariantCulture));
}
