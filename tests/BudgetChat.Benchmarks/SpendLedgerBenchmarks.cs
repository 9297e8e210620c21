using System.Globalization;
using BenchmarkDotNet.Attributes;
using BudgetChat.Http;
using BudgetChat.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Benchmarks;

/// <summary>
/// What the spend ledger costs the service: the same reserve + settle as <see cref="HostedStoreBenchmarks"/> with 16 in
/// flight, with the ledger on (the settle carries the call's details, the store writes its record in the same
/// transaction) and off (<see cref="SqliteBudgetStoreOptions.KeepSpendRecords"/> false, no details sent).
/// </summary>
[MemoryDiagnoser]
public class SpendLedgerBenchmarks
{
    private const string Project = "bench";
    private const int Concurrency = 16;
    private static readonly string[] Keys = ["user:0", "global"];

    private BenchmarkService _service = null!;
    private ServiceProvider _client = null!;
    private IBudgetStore _store = null!;
    private long _next;

    [Params(false, true)]
    public bool Ledger { get; set; }

    [Params(SqliteSynchronousMode.Full, SqliteSynchronousMode.Normal)]
    public SqliteSynchronousMode Synchronous { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _service = new BenchmarkService(o =>
        {
            o.Synchronous = Synchronous;
            o.KeepSpendRecords = Ledger;
        });
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

    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task ReserveAndSettle()
    {
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

        // What the middleware sends with a settle: the caller's side of the record.
        BudgetSpendRecord? record = Ledger
            ? new BudgetSpendRecord
            {
                User = "0",
                RequestedModel = "gpt-4o",
                InputTokens = 1_200,
                CachedInputTokens = 200,
                OutputTokens = 300,
                ReasoningTokens = 40,
                Duration = TimeSpan.FromMilliseconds(850),
                TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
            }
            : null;
        await _store.SettleAsync(Project, id, new BudgetUsage(0.001m, 1_500, "gpt-4o") { Record = record });
    }
}
