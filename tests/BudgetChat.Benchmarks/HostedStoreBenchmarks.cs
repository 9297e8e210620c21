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
/// One reserve + settle (two HTTP requests) through <see cref="HostedBudgetStore"/> against the budget service on
/// loopback, keeping its budgets in SQLite: sequentially, and with <see cref="Concurrency"/> callers at once (time per
/// round trip = wall time / callers, so 1 / mean is the service's round trips per second).
/// </summary>
[MemoryDiagnoser]
public class HostedStoreBenchmarks
{
    private const string Project = "bench";
    private static readonly string[] Keys = ["user:0", "global"];

    private string _directory = null!;
    private WebApplication _server = null!;
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
        _directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", Guid.NewGuid().ToString("N"));
        WebApplicationBuilder builder = BudgetServer.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();

        // The per-caller rate limit (1,000 requests a second by default) would measure throttling, not the service.
        builder.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0";
        builder.Services.AddSqliteBudgetStore(o =>
        {
            o.DataDirectory = _directory;
            o.Synchronous = Synchronous;
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
