using BudgetChat.Server;
using BudgetChat.Sqlite;
using BudgetChat.Server.Tests;
using BudgetChat.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Http.Tests;

/// <summary>
/// The budget service on real Kestrel at 127.0.0.1, keeping its budgets in a real SQLite file in a temp folder, and
/// <see cref="HostedBudgetStore"/>s that talk to it the way an app does (IHttpClientFactory and the resilience pipeline).
/// </summary>
internal sealed class BudgetService : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly BudgetStoreOptions _ledger;
    private readonly (string Project, string Key)[] _apiKeys;
    private readonly List<ServiceProvider> _clients = [];
    private BudgetServerHost _host = null!;
    private SqliteBudgetStore _store = null!;

    private BudgetService(TimeProvider time, BudgetStoreOptions ledger, (string Project, string Key)[] apiKeys)
    {
        _time = time;
        _ledger = ledger;
        _apiKeys = apiKeys;
    }

    private readonly TempDirectory _dataDirectory = new();

    /// <summary>Gets the folder of the SQLite file; deleted with the service.</summary>
    public string DataDirectory => _dataDirectory.Path;

    /// <summary>Gets the store the service serves, to see what it holds without the wire in between.</summary>
    public IBudgetStore Store => _store;

    /// <summary>Gets the service's clock.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>Gets the service's address (the last one it had while it is down).</summary>
    public Uri BaseAddress => _host.BaseAddress;

    public static async Task<BudgetService> StartAsync(TimeProvider? time = null, BudgetStoreOptions? ledger = null, (string Project, string Key)[]? apiKeys = null)
    {
        var service = new BudgetService(time ?? TimeProvider.System, ledger ?? new BudgetStoreOptions(), apiKeys ?? []);
        await service.StartHostAsync();
        return service;
    }

    /// <summary>Creates a store on this service, the way <c>AddHostedBudgetStore</c> registers one.</summary>
    public HostedBudgetStore CreateStore(
        string? apiKey = null, Action<IServiceCollection>? configure = null, TimeSpan? cacheFor = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_time);
        services.AddHostedBudgetStore(o =>
        {
            o.BaseAddress = BaseAddress;
            o.ApiKey = apiKey;
            o.DefinitionCacheDuration = cacheFor ?? TimeSpan.Zero;
        });
        configure?.Invoke(services);
        ServiceProvider provider = services.BuildServiceProvider();
        lock (_clients)
        {
            _clients.Add(provider);
        }

        return (HostedBudgetStore)provider.GetRequiredService<IBudgetStore>();
    }

    /// <summary>Stops the service and starts a new one on the same SQLite file and port-agnostic address (the address changes).</summary>
    public async Task RestartAsync()
    {
        await StopHostAsync();
        await StartHostAsync();
    }

    /// <summary>Stops the service (an outage): its address refuses connections until <see cref="ComeBackAsync"/>.</summary>
    public Task GoDownAsync() => StopHostAsync();

    /// <summary>Starts the service again on the same SQLite file and the same address it had before <see cref="GoDownAsync"/>.</summary>
    public Task ComeBackAsync() => StartHostAsync(BaseAddress.Port);

    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            foreach (ServiceProvider provider in _clients)
            {
                provider.Dispose();
            }

            _clients.Clear();
        }

        await StopHostAsync();
        _dataDirectory.Dispose();
    }

    private async Task StartHostAsync(int port = 0)
    {
        _store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = DataDirectory, Ledger = _ledger }, _time);
        var options = new BudgetServerHostOptions { Store = _store, TimeProvider = _time };

        // The service's own sweeps run on the (often fake) clock; tests sweep when they mean to.
        options.Configuration[$"{BudgetServer.ResetServiceSectionName}:Enabled"] = "false";

        // The store contract puts no bound on an expiry; the service's own bound (an hour) has tests of its own.
        options.Configuration[$"{BudgetServerOptions.SectionName}:{nameof(BudgetServerOptions.MaxReservationDuration)}"] = "30.00:00:00";
        foreach ((string project, string key) in _apiKeys)
        {
            options.ApiKeys.Add((project, key));
        }

        if (port != 0)
        {
            options.ConfigureBuilder = builder => builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        _host = await BudgetServerHost.StartAsync(options);
    }

    private async Task StopHostAsync()
    {
        await _host.DisposeAsync();
        await _store.DisposeAsync();
    }
}
