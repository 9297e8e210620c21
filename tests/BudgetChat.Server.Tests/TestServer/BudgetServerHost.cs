using System.Net.Http.Headers;
using BudgetChat.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Tests;

/// <summary>
/// The budget service running in this process on real Kestrel at <c>http://127.0.0.1:{free port}</c>, for tests.
/// Depends only on BudgetChat.Server and the BCL, so other test projects can link this file.
/// </summary>
/// <remarks>
/// Start with <see cref="StartAsync"/>; every <see cref="HttpClient"/> from <see cref="CreateClient"/> is disposed with
/// the host. Logging providers are cleared unless <see cref="BudgetServerHostOptions.ConfigureBuilder"/> adds some.
/// </remarks>
public sealed class BudgetServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];

    private readonly TempDirectory? _dataDirectory;

    private BudgetServerHost(WebApplication app, Uri baseAddress, TempDirectory? dataDirectory)
    {
        _app = app;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
    }

    /// <summary>Gets the address the server listens on, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the server's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Gets the store the server serves.</summary>
    public IBudgetStore Store => _app.Services.GetRequiredService<IBudgetStore>();

    /// <summary>Starts a server; it listens once this returns.</summary>
    public static async Task<BudgetServerHost> StartAsync(BudgetServerHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new BudgetServerHostOptions();

        // No file watchers per host: many hosts start in one test run.
        WebApplicationBuilder builder = BudgetServer.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();

        var settings = new Dictionary<string, string?>(options.Configuration, StringComparer.OrdinalIgnoreCase);

        // The default store is SQLite in BudgetServer:DataDirectory: each host gets its own folder, deleted with it.
        TempDirectory? dataDirectory = null;
        if (options.Store is null && !settings.ContainsKey("BudgetServer:DataDirectory"))
        {
            dataDirectory = new TempDirectory();
            settings["BudgetServer:DataDirectory"] = dataDirectory.Path;
        }

        for (int i = 0; i < options.ApiKeys.Count; i++)
        {
            settings[$"BudgetServer:ApiKeys:{i}:Project"] = options.ApiKeys[i].Project;
            settings[$"BudgetServer:ApiKeys:{i}:Key"] = options.ApiKeys[i].Key;
            settings.TryAdd($"BudgetServer:ApiKeys:{i}:Role", "admin");
        }

        builder.Configuration.AddInMemoryCollection(settings);
        if (options.TimeProvider is { } time)
        {
            builder.Services.RemoveAll<TimeProvider>();
            builder.Services.AddSingleton(time);
        }

        if (options.Store is { } store)
        {
            builder.Services.RemoveAll<IBudgetStore>();
            builder.Services.AddSingleton(store);
        }

        options.ConfigureBuilder?.Invoke(builder);
        WebApplication app = BudgetServer.Build(builder);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new BudgetServerHost(app, new Uri(app.Urls.First().TrimEnd('/') + "/"), dataDirectory);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            dataDirectory?.Dispose();
            throw;
        }
    }

    /// <summary>Creates a client of the server, sending <paramref name="apiKey"/> as a bearer token when given.</summary>
    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>Stops the server and disposes the clients.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            foreach (HttpClient client in _clients)
            {
                client.Dispose();
            }

            _clients.Clear();
        }

        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _dataDirectory?.Dispose();
        }
    }
}

/// <summary>What <see cref="BudgetServerHost.StartAsync"/> changes in the server.</summary>
public sealed class BudgetServerHostOptions
{
    /// <summary>Gets or sets the store to serve instead of the default one.</summary>
    public IBudgetStore? Store { get; set; }

    /// <summary>Gets or sets the clock of the server (and of its default store).</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Gets configuration values added over appsettings.json (for example <c>BudgetServer:MaxRequestBodyBytes</c>).</summary>
    public IDictionary<string, string?> Configuration { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets the API keys to configure; none runs the server open (loopback only). Each is an admin key unless
    /// <see cref="Configuration"/> sets its <c>BudgetServer:ApiKeys:{index}:Role</c>.
    /// </summary>
    public IList<(string Project, string Key)> ApiKeys { get; } = [];

    /// <summary>Gets or sets a last change to the builder (logging, services) before the server is built.</summary>
    public Action<WebApplicationBuilder>? ConfigureBuilder { get; set; }
}
