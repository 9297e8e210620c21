using System.Globalization;
using BenchmarkDotNet.Attributes;
using BudgetChat.Http;
using BudgetChat.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Benchmarks;

/// <summary>
/// One reserve + settle (two HTTP requests) through <see cref="HostedBudgetStore"/> against the budget service on
/// loopback, keeping its budgets in SQLite: sequentially, and with <see cref="Concurrency"/> callers at once (time per
/// round trip = wall time / callers, so 1 / mean is the service's round trips per second).
/// </summary>
[MemoryDiagnoser]
public class HostedStoreBenchmarks
{
    private const string Project = "bench";
    private static readonly string[] Keys = ["user:0", "global"];

    private BenchmarkService _service = null!;
    private ServiceProvider _client = null!;
    private IBudgetStore _store = null!;
    private long _next;

    [Params(1, 16)]
    public int Concurrency { get; set; }

    [Params(SqliteSynchronousMode.Full, SqliteSynchronousMode.Normal)]
    public SqliteSynchronousMode Synchronous { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _service = new BenchmarkService(o => o.Synchronous = Synchronous);
        var services = new ServiceCollection();
        services.AddHostedBudgetStore(o => o.BaseAddress = _service.BaseAddress);
        _client = services.BuildServiceProvider();
        _store = _client.GetRequiredService<IBudgetStore>();
        _store.SetBudgetAsync(Project, "user:0", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        _store.SetBudgetAsync(Project, "global", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _service.Dispose();
    }

    [Benchmark(OperationsPerInvoke = 16)]
    public async Task ReserveAndSettle()
    {
        if (Concurrency == 1)
        {
            for (int i = 0; i < 16; i++)
            {
                await RoundTripAsync();
            }

            return;
        }

        var calls = new Task[Concurrency];
        for (int i = 0; i < calls.Length; i++)
        {
            calls[i] = RoundTripAsync();
        }

        await Task.WhenAll(calls);
    }

    private async Task RoundTripAsync()
    {
        string id = Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        await _store.ReserveAsync(Project, Keys, 0.01m, id, DateTimeOffset.UtcNow.AddMinutes(5));
        await _store.SettleAsync(Project, id, 0.001m, "gpt-4o");
    }
}
