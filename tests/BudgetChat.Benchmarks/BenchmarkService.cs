using BudgetChat.Server;
using BudgetChat.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Benchmarks;

/// <summary>
/// The budget service on Kestrel at 127.0.0.1 in the benchmark's process, keeping its budgets in SQLite in a folder of
/// its own (deleted with it), without the per-caller rate limit (which would measure throttling, not the service).
/// </summary>
internal sealed class BenchmarkService : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "budgetchat-bench", Guid.NewGuid().ToString("N"));
    private readonly WebApplication _server;

    public BenchmarkService(Action<SqliteBudgetStoreOptions> configureStore)
    {
        WebApplicationBuilder builder = BudgetServer.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0";
        builder.Services.AddSqliteBudgetStore(o =>
        {
            o.DataDirectory = _directory;
            configureStore(o);
        });
        _server = BudgetServer.Build(builder);
        _server.StartAsync().GetAwaiter().GetResult();
    }

    /// <summary>Gets the service's address.</summary>
    public Uri BaseAddress => new(_server.Urls.First());

    /// <summary>Gets the store the service keeps its budgets in.</summary>
    public SqliteBudgetStore Store => (SqliteBudgetStore)_server.Services.GetRequiredService<IBudgetStore>();

    public void Dispose()
    {
        _server.StopAsync().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }
}
