using BudgetChat;
using BudgetChat.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="WebhookBudgetAlertSink"/>.</summary>
public static class WebhookBudgetAlertServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the webhook sink sends with; configure it further with <c>services.AddHttpClient(HttpClientName)</c>.</summary>
    public const string HttpClientName = "BudgetChat.AlertWebhook";

    /// <summary>
    /// Registers a <see cref="WebhookBudgetAlertSink"/> as an <see cref="IBudgetAlertSink"/>, beside the others (such as the
    /// logging sink <c>AddBudgetChat</c> adds), with an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/>.
    /// The options are validated at start, naming the setting at fault. One webhook per container: calling this again
    /// configures the same one; for more, construct sinks yourself.
    /// </summary>
    /// <remarks>
    /// The client has no resilience handler and no timeout of its own: the sink retries and times out each attempt
    /// itself, so that every attempt of an alert carries its id and a fresh signature.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <see cref="WebhookBudgetAlertSinkOptions.Url"/> is required.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddBudgetAlertWebhook(this IServiceCollection services, Action<WebhookBudgetAlertSinkOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<WebhookBudgetAlertSinkOptions>().Configure(configure);
        return services.AddBudgetAlertWebhookCore();
    }

    /// <summary>
    /// Adds what <see cref="AddBudgetAlertWebhook(IServiceCollection, Action{WebhookBudgetAlertSinkOptions})"/> adds, with
    /// the options bound from <paramref name="configuration"/> (for example <c>Url</c>, <c>Format</c>, <c>Secret</c>,
    /// <c>MaxAttempts</c>, <c>Headers</c>) and validated at start.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section of the options.</param>
    /// <param name="configure">Sets the options further in code after the binding, or <see langword="null"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddBudgetAlertWebhook(this IServiceCollection services, IConfiguration configuration, Action<WebhookBudgetAlertSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        OptionsBuilder<WebhookBudgetAlertSinkOptions> options = services.AddOptions<WebhookBudgetAlertSinkOptions>().Bind(configuration);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services.AddBudgetAlertWebhookCore();
    }

    private static IServiceCollection AddBudgetAlertWebhookCore(this IServiceCollection services)
    {
        services.AddOptions<WebhookBudgetAlertSinkOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookBudgetAlertSinkOptions>, WebhookBudgetAlertSinkOptionsValidator>());

        // The sink keeps its client for its lifetime, so connections are recycled by the handler instead (DNS changes).
        services.AddHttpClient(HttpClientName)
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .UseSocketsHttpHandler(static (handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBudgetAlertSink, WebhookBudgetAlertSink>(static sp => new WebhookBudgetAlertSink(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<WebhookBudgetAlertSinkOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>())));
        return services;
    }
}
