using BudgetChat.Http;
using Microsoft.Extensions.DependencyInjection;
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
    public void OutOfRangeSettings_AreNamed(string setting)
    {
        HostedBudgetStoreOptions options = Valid();
        switch (setting)
        {
            case nameof(HostedBudgetStoreOptions.MaxRetries): options.MaxRetries = 11; break;
            case nameof(HostedBudgetStoreOptions.AttemptTimeout): options.AttemptTimeout = TimeSpan.Zero; break;
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
