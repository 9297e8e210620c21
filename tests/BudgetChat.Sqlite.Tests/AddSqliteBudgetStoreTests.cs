using BudgetChat.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Sqlite.Tests;

public sealed class AddSqliteBudgetStoreTests : IDisposable
{
    private static readonly DateTimeOffset Epoch = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "budgetchat-sqlite-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task ResolvesAWorkingStore_AsTheBudgetStoreSingleton_UsingTheContainersClock()
    {
        var time = new FakeTimeProvider(Epoch);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSqliteBudgetStore(o => o.DataDirectory = _directory);
        IBudgetStore store;
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            store = provider.GetRequiredService<IBudgetStore>();

            SqliteBudgetStore sqlite = Assert.IsType<SqliteBudgetStore>(store);
            Assert.Same(sqlite, provider.GetRequiredService<SqliteBudgetStore>());
            Assert.Same(store, provider.GetRequiredService<IBudgetStore>());
            Assert.Equal(Path.Combine(_directory, "budgets.db"), sqlite.DatabasePath);
            BudgetState created = await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m));
            Assert.Equal(Epoch, created.CreatedAt);
            Assert.True((await store.ReserveAsync("acme", ["user:1"], 0.5m, "r1", Epoch.AddHours(1))).IsReserved);
        }

        // The container closed the database.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetBudgetAsync("acme", "user:1").AsTask());
    }

    [Fact]
    public void WithoutAClock_RegistersTheSystemClock()
    {
        var services = new ServiceCollection();
        services.AddSqliteBudgetStore(o => o.DataDirectory = _directory);

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReplacesTheInMemoryDefaultOfAddBudgetChat_InEitherOrder(bool budgetChatFirst)
    {
        var services = new ServiceCollection();
        if (budgetChatFirst)
        {
            services.AddBudgetChat();
        }

        services.AddSqliteBudgetStore(o => o.DataDirectory = _directory);
        if (!budgetChatFirst)
        {
            services.AddBudgetChat();
        }

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.IsType<SqliteBudgetStore>(provider.GetRequiredService<IBudgetStore>());
        Assert.Single(services, d => d.ServiceType == typeof(IBudgetStore));
    }

    [Fact]
    public void InvalidOptions_FailValidation_NamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddSqliteBudgetStore(o =>
        {
            o.DataDirectory = _directory;
            o.BusyTimeout = TimeSpan.Zero;
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IBudgetStore>());

        Assert.Contains(nameof(SqliteBudgetStoreOptions.BusyTimeout), ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task InvalidOptions_StopTheHostFromStarting()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSqliteBudgetStore(o =>
        {
            o.DataDirectory = _directory;
            o.Ledger.CompletedIdRetention = TimeSpan.FromMinutes(-1);
        });
        using IHost host = builder.Build();

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(nameof(BudgetStoreOptions.CompletedIdRetention), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindsEveryOption_FromAConfigurationSection()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BudgetServer:Sqlite:DataDirectory"] = _directory,
            ["BudgetServer:Sqlite:DatabasePath"] = "state/budget-service.db",
            ["BudgetServer:Sqlite:BusyTimeout"] = "00:00:05",
            ["BudgetServer:Sqlite:Synchronous"] = "Normal",
            ["BudgetServer:Sqlite:Ledger:TimeZone"] = "Europe/Berlin",
            ["BudgetServer:Sqlite:Ledger:CompletedIdRetention"] = "00:20:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Epoch));
        services.AddSqliteBudgetStore(configuration.GetSection("BudgetServer:Sqlite"));
        await using ServiceProvider provider = services.BuildServiceProvider();

        SqliteBudgetStoreOptions options = provider.GetRequiredService<IOptions<SqliteBudgetStoreOptions>>().Value;
        Assert.Equal(_directory, options.DataDirectory);
        Assert.Equal(TimeSpan.FromSeconds(5), options.BusyTimeout);
        Assert.Equal(SqliteSynchronousMode.Normal, options.Synchronous);
        Assert.Equal("Europe/Berlin", options.Ledger.TimeZone.Id);
        Assert.Equal(TimeSpan.FromMinutes(20), options.Ledger.CompletedIdRetention);

        var store = (SqliteBudgetStore)provider.GetRequiredService<IBudgetStore>();
        Assert.Equal(Path.Combine(_directory, "state", "budget-service.db"), store.DatabasePath);
        BudgetState daily = await store.SetBudgetAsync("acme", "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 23, 0, 0, TimeSpan.Zero), daily.WindowStart); // midnight in Berlin (UTC+1)
    }

    [Fact]
    public void TheDelegate_OverridesTheConfiguration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DataDirectory"] = "/nowhere",
            ["Synchronous"] = "Normal",
        }).Build();
        var services = new ServiceCollection();
        services.AddSqliteBudgetStore(configuration, o => o.DataDirectory = _directory);
        using ServiceProvider provider = services.BuildServiceProvider();

        SqliteBudgetStoreOptions options = provider.GetRequiredService<IOptions<SqliteBudgetStoreOptions>>().Value;

        Assert.Equal(_directory, options.DataDirectory);
        Assert.Equal(SqliteSynchronousMode.Normal, options.Synchronous);
    }

    [Fact]
    public void AnUnknownTimeZone_InConfiguration_Throws_NamingTheKey()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BudgetServer:Sqlite:DataDirectory"] = _directory,
            ["BudgetServer:Sqlite:Ledger:TimeZone"] = "Mars/Olympus_Mons",
        }).Build();
        var services = new ServiceCollection();
        services.AddSqliteBudgetStore(configuration.GetSection("BudgetServer:Sqlite"));
        using ServiceProvider provider = services.BuildServiceProvider();

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<SqliteBudgetStoreOptions>>().Value);

        Assert.Contains("BudgetServer:Sqlite:Ledger:TimeZone", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Mars/Olympus_Mons", ex.Message, StringComparison.Ordinal);
    }
}
