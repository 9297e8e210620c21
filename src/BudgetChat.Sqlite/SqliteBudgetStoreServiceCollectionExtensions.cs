using BudgetChat;
using BudgetChat.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="SqliteBudgetStore"/>.</summary>
public static class SqliteBudgetStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="SqliteBudgetStore"/> as the <see cref="IBudgetStore"/> singleton (replacing one registered
    /// before, such as <c>AddBudgetChat</c>'s in-memory default), with validated <see cref="SqliteBudgetStoreOptions"/> and
    /// <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is registered.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the store's options, or <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// The options are validated when first used and, in a host, at start. The container opens the database when the store
    /// is first resolved and closes it when the container is disposed. The store is also registered as itself.
    /// </remarks>
    public static IServiceCollection AddSqliteBudgetStore(this IServiceCollection services, Action<SqliteBudgetStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        OptionsBuilder<SqliteBudgetStoreOptions> options = services.AddOptions<SqliteBudgetStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteBudgetStoreOptions>, SqliteBudgetStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new SqliteBudgetStore(
            sp.GetRequiredService<IOptions<SqliteBudgetStoreOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<SqliteBudgetStore>>()));
        services.Replace(ServiceDescriptor.Singleton<IBudgetStore>(static sp => sp.GetRequiredService<SqliteBudgetStore>()));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="SqliteBudgetStore"/> as <see cref="AddSqliteBudgetStore(IServiceCollection, Action{SqliteBudgetStoreOptions})"/>
    /// does, with options bound from a configuration section (for example <c>BudgetServer:Sqlite</c>) and then
    /// <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">
    /// The section holding the options: <c>DataDirectory</c>, <c>DatabasePath</c>, <c>BusyTimeout</c> (a time span such as
    /// <c>00:00:30</c>), <c>Synchronous</c> (<c>Full</c> or <c>Normal</c>), <c>KeepSpendRecords</c> (<c>true</c> or
    /// <c>false</c>), <c>Ledger:TimeZone</c> (a system time zone id
    /// such as <c>Europe/Berlin</c>) and <c>Ledger:CompletedIdRetention</c> (a time span).
    /// </param>
    /// <param name="configure">Sets the store's options after the configuration is bound, or <see langword="null"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddSqliteBudgetStore(this IServiceCollection services, IConfiguration configuration, Action<SqliteBudgetStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<SqliteBudgetStoreOptions>().Configure(options => Bind(configuration, options));
        return services.AddSqliteBudgetStore(configure);
    }

    /// <summary>
    /// Keeps the entries of <c>AddBudgetChat</c>'s <see cref="BudgetOutbox"/> (the costs the store could not record yet)
    /// in a SQLite file, so that a restart or a crash of the process does not lose them: the next start sends them again.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="path">The file, one per process, for example <c>data/outbox.db</c>; relative to the current folder.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public static IServiceCollection AddSqliteBudgetOutbox(this IServiceCollection services, string path)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        services.Replace(ServiceDescriptor.Singleton<IBudgetOutboxStorage>(_ => new SqliteBudgetOutboxStorage(fullPath)));
        return services;
    }

    private static void Bind(IConfiguration configuration, SqliteBudgetStoreOptions options)
    {
        configuration.Bind(options);

        // The binder cannot make a TimeZoneInfo from text (it would silently keep UTC), so the id is looked up here.
        IConfigurationSection timeZone = configuration.GetSection("Ledger:TimeZone");
        if (string.IsNullOrWhiteSpace(timeZone.Value))
        {
            return;
        }

        try
        {
            options.Ledger ??= new BudgetStoreOptions();
            options.Ledger.TimeZone = TimeZoneInfo.FindSystemTimeZoneById(timeZone.Value.Trim());
        }
        catch (TimeZoneNotFoundException ex)
        {
            throw new InvalidOperationException($"The configuration value '{timeZone.Path}' ('{timeZone.Value}') is not a time zone id known to this system.", ex);
        }
    }
}
