using System.Diagnostics.Metrics;
using BudgetChat;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="BudgetingChatClient"/> to a chat pipeline.</summary>
public static class BudgetingChatClientBuilderExtensions
{
    /// <summary>Adds budget enforcement to the pipeline, with the store from the service provider.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Changes the options; it runs after the options registered with <c>AddBudgetChat</c> are applied.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <remarks>
    /// <para>
    /// Services come from the provider the pipeline is built with: <see cref="IBudgetStore"/>,
    /// <see cref="ModelPriceCatalog"/>, <see cref="ITokenEstimator"/>, <see cref="TimeProvider"/>,
    /// <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/>, <see cref="IBudgetAlertSink"/>s and <see cref="IOptions{TOptions}"/> of
    /// <see cref="BudgetingChatClientOptions"/>. Each is optional: without a store the client gets an
    /// <see cref="InMemoryBudgetStore"/> of its own, without a catalog the built-in prices.
    /// </para>
    /// <para>
    /// Put it inside <c>UseFunctionInvocation()</c> (call <c>UseFunctionInvocation()</c> first, then
    /// <c>UseBudget()</c>) so that every model round trip of a tool loop is reserved and charged on its own.
    /// </para>
    /// </remarks>
    public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, Action<BudgetingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerClient, services) => Create(innerClient, services, null, configure));
    }

    /// <summary>Adds budget enforcement to the pipeline, keeping budgets in <paramref name="store"/>.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="store">Where budgets are kept.</param>
    /// <param name="configure">Changes the options; it runs after the options registered with <c>AddBudgetChat</c> are applied.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, IBudgetStore store, Action<BudgetingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(store);
        return builder.Use((innerClient, services) => Create(innerClient, services, store, configure));
    }

    private static BudgetingChatClient Create(IChatClient innerClient, IServiceProvider services, IBudgetStore? store, Action<BudgetingChatClientOptions>? configure)
    {
        TimeProvider? timeProvider = services.GetService<TimeProvider>();
        IBudgetStore budgetStore = store ?? services.GetService<IBudgetStore>() ?? new InMemoryBudgetStore(timeProvider: timeProvider);

        // The client copies its options, so configuring here never changes the registered instance.
        BudgetingChatClientOptions options = services.GetService<IOptions<BudgetingChatClientOptions>>()?.Value.Clone() ?? new BudgetingChatClientOptions();
        configure?.Invoke(options);

        return new BudgetingChatClient(
            innerClient,
            budgetStore,
            options,
            services.GetService<ModelPriceCatalog>(),
            services.GetService<ITokenEstimator>(),
            services.GetService<ILoggerFactory>(),
            timeProvider,
            services.GetService<IMeterFactory>(),
            services.GetService<IEnumerable<IBudgetAlertSink>>() is { } sinks && sinks.Any() ? sinks : null,
            OutboxFor(budgetStore, services));
    }

    // The registered outbox retries into the registered store; a client given another store keeps an outbox of its own.
    private static BudgetOutbox? OutboxFor(IBudgetStore store, IServiceProvider services)
    {
        BudgetOutbox? outbox = services.GetService<BudgetOutbox>();
        return outbox is not null && ReferenceEquals(outbox.Store, store) ? outbox : null;
    }
}
