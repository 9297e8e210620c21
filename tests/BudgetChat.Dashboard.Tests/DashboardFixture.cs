using BudgetChat.Server.Tests;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// The budget service on 127.0.0.1 with keys for two projects, serving an in-memory store (which keeps a spend ledger)
/// filled by <see cref="DashboardSeed"/>, and Chromium: shared by the browser tests.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string AdminKey = "acme-admin-key-0123456789";
    public const string ReadKey = "acme-enforce-key-0123456789";
    public const string OtherKey = "other-admin-key-0123456789";

    private BudgetServerHost? _host;

    public BrowserFixture Browser { get; } = new();

    public BudgetServerHost Host => _host ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>Gets the store the service serves.</summary>
    public InMemoryBudgetStore Store { get; private set; } = null!;

    /// <summary>
    /// Gets the clock of the store and the service: two weeks of calls were played on it, and it stands at the end, the
    /// last 15:00 UTC (mid-afternoon, so that today's windows have spent and some forecast a run-out).
    /// </summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow.AddDays(-16));

    /// <summary>Gets the time the seed's calls end at and the clock stands at.</summary>
    public static DateTimeOffset End { get; } = LastAfternoon(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        Store = new InMemoryBudgetStore(new BudgetStoreOptions { SpendRecordCapacity = 100_000 }, Time);
        await DashboardSeed.RunAsync(Store, Time, End);
        _host = await StartAsync(Store, Time);
    }

    /// <summary>Starts the service with the three keys: an admin and an enforce key of <see cref="DashboardSeed.Project"/>, an admin key of <c>other</c>.</summary>
    public static Task<BudgetServerHost> StartAsync(IBudgetStore store, TimeProvider? time = null)
    {
        var options = new BudgetServerHostOptions { Store = store, TimeProvider = time };
        options.ApiKeys.Add((DashboardSeed.Project, AdminKey));
        options.ApiKeys.Add((DashboardSeed.Project, ReadKey));
        options.ApiKeys.Add(("other", OtherKey));
        options.Configuration["BudgetServer:ApiKeys:1:Role"] = "enforce";
        return BudgetServerHost.StartAsync(options);
    }

    private static DateTimeOffset LastAfternoon(DateTimeOffset now)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date.AddHours(15), TimeSpan.Zero);
        return today <= now ? today : today.AddDays(-1);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardServerFixtureGroup : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
