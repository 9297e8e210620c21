using BudgetChat;
using BudgetChat.Http;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="HostedBudgetStore"/>.</summary>
public static class HostedBudgetStoreServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the store sends with; configure it further with <c>services.AddHttpClient(HttpClientName)</c>.</summary>
    public const string HttpClientName = "BudgetChat.HostedBudgetStore";

    /// <summary>
    /// Registers a <see cref="HostedBudgetStore"/> as the <see cref="IBudgetStore"/> (replacing one registered before), with
    /// an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> whose standard resilience pipeline times out each
    /// attempt, retries transient failures (safe: the service's writes are idempotent by id) and breaks the circuit
    /// when the service keeps failing. A registered <see cref="HybridCache"/> caches budget definitions when
    /// <see cref="HostedBudgetStoreOptions.DefinitionCacheDuration"/> is positive.
    /// </summary>
    /// <remarks>
    /// It also turns the app's <see cref="BudgetResetService"/> off (<see cref="BudgetResetServiceOptions.Enabled"/>): the
    /// budget service sweeps its own store, and a sweep needs an <c>admin</c> key, which an app that only enforces
    /// budgets should not hold. To sweep from the app anyway, set <c>Enabled</c> back with
    /// <c>services.Configure&lt;BudgetResetServiceOptions&gt;(o =&gt; o.Enabled = true)</c> after this call. The app's
    /// <see cref="BudgetResetServiceOptions.SpendRetention"/> is cleared too: the service keeps its spend ledger for its
    /// own retention, and the store cannot prune it. Neither retries nor the circuit breaker count a 501 (a feature the
    /// service's store lacks) as a transient failure.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <see cref="HostedBudgetStoreOptions.BaseAddress"/> is required.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHostedBudgetStore(this IServiceCollection services, Action<HostedBudgetStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<HostedBudgetStoreOptions>()
            .Configure(configure)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HostedBudgetStoreOptions>, HostedBudgetStoreOptionsValidator>());

        services.AddHttpClient(HttpClientName)
            .AddStandardResilienceHandler()
            .Configure(static (HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                HostedBudgetStoreOptions options = sp.GetRequiredService<IOptions<HostedBudgetStoreOptions>>().Value;
                resilience.AttemptTimeout.Timeout = options.AttemptTimeout;
                resilience.TotalRequestTimeout.Timeout = options.TotalTimeout;
                resilience.Retry.MaxRetryAttempts = Math.Max(1, options.MaxRetries);
                // 501 is the service saying its store lacks a feature (a spend ledger): permanent, and no sign of an
                // outage that should open the circuit for the budget operations too.
                Func<RetryPredicateArguments<HttpResponseMessage>, ValueTask<bool>> retries = resilience.Retry.ShouldHandle;
                resilience.Retry.ShouldHandle = options.MaxRetries == 0 ? static _ => ValueTask.FromResult(false)
                    : args => IsNotImplemented(args.Outcome) ? ValueTask.FromResult(false) : retries(args);
                Func<CircuitBreakerPredicateArguments<HttpResponseMessage>, ValueTask<bool>> breaks = resilience.CircuitBreaker.ShouldHandle;
                resilience.CircuitBreaker.ShouldHandle = args => IsNotImplemented(args.Outcome) ? ValueTask.FromResult(false) : breaks(args);
                resilience.Retry.Delay = options.RetryDelay;
                resilience.CircuitBreaker.BreakDuration = options.CircuitBreakDuration;
                resilience.CircuitBreaker.FailureRatio = options.CircuitFailureRatio;
                resilience.CircuitBreaker.MinimumThroughput = options.CircuitMinimumThroughput;
                resilience.CircuitBreaker.SamplingDuration = options.AttemptTimeout * 2 > resilience.CircuitBreaker.SamplingDuration
                    ? options.AttemptTimeout * 2
                    : resilience.CircuitBreaker.SamplingDuration;
            });

        // The service sweeps, and prunes its spend ledger, itself (and the store cannot prune it).
        services.Configure<BudgetResetServiceOptions>(static reset =>
        {
            reset.Enabled = false;
            reset.SpendRetention = null;
        });

        services.RemoveAll<IBudgetStore>();
        services.AddSingleton<IBudgetStore>(static sp => new HostedBudgetStore(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<HostedBudgetStoreOptions>>().Value,
            sp.GetService<HybridCache>(),
            sp.GetService<ILoggerFactory>()));
        return services;
    }

    private static bool IsNotImplemented(Polly.Outcome<HttpResponseMessage> outcome) =>
        outcome.Result?.StatusCode == System.Net.HttpStatusCode.NotImplemented;
}
