using BudgetChat.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace BudgetChat.Http.Tests;

/// <summary>HostedBudgetStoreOptions: one set of rules (annotations, a generated validator) for the container and Validate().</summary>
public sealed class HostedBudgetStoreOptionsTests
{
    private static HostedBudgetStoreOptions Valid() => new() { BaseAddress = new Uri("http://127.0.0.1:5380/") };

    [Fact]
    public void ValidOptions_PassValidate() => Valid().Validate();

    [Fact]
    public void MissingAddress_IsNamed()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new HostedBudgetStoreOptions().Validate());

        Assert.Equal(nameof(HostedBudgetStoreOptions.BaseAddress), ex.ParamName);
    }

    [Fact]
    public void TotalTimeoutShorterThanAnAttempt_IsNamed()
    {
        HostedBudgetStoreOptions options = Valid();
        options.AttemptTimeout = TimeSpan.FromSeconds(10);
        options.TotalTimeout = TimeSpan.FromSeconds(5);

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(HostedBudgetStoreOptions.TotalTimeout), ex.ParamName);
        Assert.Contains("HostedBudgetStoreOptions.TotalTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(HostedBudgetStoreOptions.MaxRetries))]
    [InlineData(nameof(HostedBudgetStoreOptions.AttemptTimeout))]
    [InlineData(nameof(HostedBudgetStoreOptions.DefinitionCacheDuration))]
    [InlineData(nameof(HostedBudgetStoreOptions.RetryDelay))]
    [InlineData(nameof(HostedBudgetStoreOptions.CircuitBreakDuration))]
    [InlineData(nameof(HostedBudgetStoreOptions.CircuitFailureRatio))]
    [InlineData(nameof(HostedBudgetStoreOptions.CircuitMinimumThroughput))]
    public void OutOfRangeSettings_AreNamed(string setting)
    {
        HostedBudgetStoreOptions options = Valid();
        switch (setting)
        {
            case nameof(HostedBudgetStoreOptions.MaxRetries): options.MaxRetries = 11; break;
            case nameof(HostedBudgetStoreOptions.AttemptTimeout): options.AttemptTimeout = TimeSpan.Zero; break;
            case nameof(HostedBudgetStoreOptions.RetryDelay): options.RetryDelay = TimeSpan.FromMinutes(2); break;
            case nameof(HostedBudgetStoreOptions.CircuitBreakDuration): options.CircuitBreakDuration = TimeSpan.FromMilliseconds(100); break;
            case nameof(HostedBudgetStoreOptions.CircuitFailureRatio): options.CircuitFailureRatio = 0; break;
            case nameof(HostedBudgetStoreOptions.CircuitMinimumThroughput): options.CircuitMinimumThroughput = 1; break;
            default: options.DefinitionCacheDuration = TimeSpan.FromSeconds(-1); break;
        }

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(setting, ex.ParamName);
    }

    [Fact]
    public void AnApiKeyWithControlCharacters_IsNamed_NeverShown()
    {
        HostedBudgetStoreOptions options = Valid();
        options.ApiKey = "secret-\u0007-key";

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(nameof(HostedBudgetStoreOptions.ApiKey), ex.ParamName);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    // The circuit breaker and retries of the registered HttpClient are the ones the options say, not the standard
    // pipeline's (whose 5 s break kept clients failing for seconds after the service was back).
    [Fact]
    public void TheResilienceSettings_ReachTheStandardPipeline()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddHostedBudgetStore(o =>
            {
                o.BaseAddress = new Uri("http://127.0.0.1:5380/");
                o.RetryDelay = TimeSpan.FromMilliseconds(250);
                o.CircuitBreakDuration = TimeSpan.FromSeconds(1);
                o.CircuitFailureRatio = 0.8;
                o.CircuitMinimumThroughput = 7;
            })
            .BuildServiceProvider();

        HttpStandardResilienceOptions resilience = provider.GetRequiredService<IOptionsMonitor<HttpStandardResilienceOptions>>()
            .Get($"{HostedBudgetStoreServiceCollectionExtensions.HttpClientName}-standard");

        Assert.Equal(TimeSpan.FromMilliseconds(250), resilience.Retry.Delay);
        Assert.Equal(TimeSpan.FromSeconds(1), resilience.CircuitBreaker.BreakDuration);
        Assert.Equal(0.8, resilience.CircuitBreaker.FailureRatio);
        Assert.Equal(7, resilience.CircuitBreaker.MinimumThroughput);
    }

    // The service sweeps its own store, and /v1/sweep answers 403 to the enforce keys apps hold: an app sweeping
    // through the hosted store would log a failed sweep every interval.
    [Fact]
    public void TheAppsResetService_IsOff_UnlessTurnedBackOn()
    {
        static BudgetResetServiceOptions Reset(Action<IServiceCollection> after)
        {
            IServiceCollection services = new ServiceCollection()
                .AddBudgetChat()
                .AddHostedBudgetStore(o => o.BaseAddress = new Uri("http://127.0.0.1:5380/"));
            after(services);
            using ServiceProvider provider = services.BuildServiceProvider();
            return provider.GetRequiredService<IOptions<BudgetResetServiceOptions>>().Value;
        }

        Assert.False(Reset(_ => { }).Enabled);
        Assert.True(Reset(s => s.Configure<BudgetResetServiceOptions>(o => o.Enabled = true)).Enabled);
        using ServiceProvider withoutHostedStore = new ServiceCollection().AddBudgetChat().BuildServiceProvider();
        Assert.True(withoutHostedStore.GetRequiredService<IOptions<BudgetResetServiceOptions>>().Value.Enabled);
    }

    [Fact]
    public void TheDefaultBreak_IsShorterThanTheStandardPipelines()
    {
        Assert.True(Valid().CircuitBreakDuration < new HttpStandardResilienceOptions().CircuitBreaker.BreakDuration);
    }

    [Fact]
    public void InAContainer_EveryInvalidSetting_IsNamedInOneFailure()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddHostedBudgetStore(o =>
            {
                o.BaseAddress = new Uri("ftp://127.0.0.1/");
                o.MaxRetries = -1;
            })
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<HostedBudgetStoreOptions>>().Value);

        Assert.Contains("HostedBudgetStoreOptions.BaseAddress", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HostedBudgetStoreOptions.MaxRetries", ex.Message, StringComparison.Ordinal);
    }
}
