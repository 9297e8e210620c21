using System.Globalization;
using BenchmarkDotNet.Attributes;
using BudgetChat.Http;
using BudgetChat.Server;
using BudgetChat.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    private string _directory = null!;
    private WebApplication _server = null!;
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
        _directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", Guid.NewGuid().ToString("N"));
        WebApplicationBuilder builder = BudgetServer.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0";
        builder.Services.AddSqliteBudgetStore(o =>
        {
            o.DataDirectory = _directory;
            o.Synchronous = Synchronous;
            o.KeepSpendRecords = Ledger;
        });
        _server = BudgetServer.Build(builder);
        _server.StartAsync().GetAwaiter().GetResult();

        var services = new ServiceCollection();
        services.AddHostedBudgetStore(o => o.BaseAddress = new Uri(_server.Urls.First()));
        _client = services.BuildServiceProvider();
        _store = _client.GetRequiredService<IBudgetStore>();
        _store.SetBudgetAsync(Project, "user:0", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        _store.SetBudgetAsync(Project, "global", new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.StopAsync().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
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
