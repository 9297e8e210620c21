using System.Diagnostics.Metrics;
using BudgetChat;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers BudgetChat's services.</summary>
public static class BudgetChatServiceCollectionExtensions
{
    /// <summary>
    /// Adds what <see cref="AddBudgetChat(IServiceCollection, Action{BudgetingChatClientOptions}?)"/> adds, with the
    /// <see cref="BudgetingChatClientOptions"/> bound from <paramref name="configuration"/> (for example the
    /// <c>BudgetChat</c> section of <c>appsettings.json</c>: <c>ProjectName</c>, <c>UserBudget</c>, <c>GlobalBudget</c>,
    /// <c>ModelGroups</c>, <c>CheaperModels</c>, <c>Enforcement</c>, …) and validated at start, naming the setting at fault.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section of the options.</param>
    /// <param name="configure">Configures the options further in code (resolvers, callbacks, clients), after the binding.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddBudgetChat(this IServiceCollection services, IConfiguration configuration, Action<BudgetingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BudgetingChatClientOptions>().Bind(configuration);
        return services.AddBudgetChat(configure);
    }

    /// <summary>
    /// Registers what <c>UseBudget()</c> needs: validated <see cref="BudgetingChatClientOptions"/>, an
    /// <see cref="IBudgetStore"/> (an <see cref="InMemoryBudgetStore"/> unless one is registered already), the
    /// built-in <see cref="ModelPriceCatalog"/>, a <see cref="TiktokenTokenEstimator"/>, <see cref="TimeProvider.System"/>,
    /// an alert sink that logs each alert as a warning, the <see cref="BudgetResetService"/> (configure it with
    /// <c>services.Configure&lt;BudgetResetServiceOptions&gt;</c>), and a <see cref="BudgetOutbox"/> for the costs the store
    /// could not record, started and drained with the host (configure it with <c>services.Configure&lt;BudgetOutboxOptions&gt;</c>;
    /// register an <see cref="IBudgetOutboxStorage"/>, such as <c>AddSqliteBudgetOutbox</c>, to keep it through restarts).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options of every budgeted chat client built from this container.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// Register a different store, catalog or estimator before or after this call; it registers its defaults
    /// only where none exists. Options are validated when first used and, in a host, at start.
    /// </remarks>
    public static IServiceCollection AddBudgetChat(this IServiceCollection services, Action<BudgetingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        OptionsBuilder<BudgetingChatClientOptions> options = services.AddOptions<BudgetingChatClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetingChatClientOptions>, BudgetingChatClientOptionsValidator>());
        services.AddOptions<BudgetStoreOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetStoreOptions>, BudgetStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IBudgetStore>(sp => new InMemoryBudgetStore(sp.GetRequiredService<IOptions<BudgetStoreOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(_ => ModelPriceCatalog.CreateDefault());
        services.TryAddSingleton<ITokenEstimator>(_ => new TiktokenTokenEstimator());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBudgetAlertSink, LoggingBudgetAlertSink>());
        services.AddOptions<BudgetResetServiceOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetResetServiceOptions>, BudgetResetServiceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BudgetResetService>());

        // Costs the store could not record are retried from here, and drained when the host stops.
        services.AddOptions<BudgetOutboxOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetOutboxOptions>, BudgetOutboxOptionsValidator>());
        services.TryAddSingleton(static sp => new BudgetOutbox(
            sp.GetRequiredService<IBudgetStore>(),
            sp.GetRequiredService<IOptions<BudgetOutboxOptions>>().Value,
            sp.GetService<IBudgetOutboxStorage>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<IEnumerable<IBudgetAlertSink>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BudgetOutboxService>());
        return services;
    }
}
