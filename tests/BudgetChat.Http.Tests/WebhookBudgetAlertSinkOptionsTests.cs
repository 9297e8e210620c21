using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Http.Tests;

/// <summary>The webhook sink's options (annotations, a generated validator) and its registration.</summary>
public sealed class WebhookBudgetAlertSinkOptionsTests
{
    private static WebhookBudgetAlertSinkOptions Valid() => new() { Url = new Uri("https://hooks.example.com/budget") };

    [Fact]
    public void ValidOptions_PassValidate() => Valid().Validate();

    [Theory]
    [InlineData(null)]
    [InlineData("ftp://hooks.example.com/")]
    public void AMissingOrNonHttpUrl_IsNamed(string? url)
    {
        var options = new WebhookBudgetAlertSinkOptions { Url = url is null ? null : new Uri(url) };

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(nameof(WebhookBudgetAlertSinkOptions.Url), ex.ParamName);
    }

    [Theory]
    [InlineData(nameof(WebhookBudgetAlertSinkOptions.MaxAttempts))]
    [InlineData(nameof(WebhookBudgetAlertSinkOptions.MaxQueuedAlerts))]
    [InlineData(nameof(WebhookBudgetAlertSinkOptions.Timeout))]
    [InlineData(nameof(WebhookBudgetAlertSinkOptions.MaxRetryDelay))]
    [InlineData(nameof(WebhookBudgetAlertSinkOptions.DrainTimeout))]
    [InlineData(nameof(WebhookBudgetAlertSinkOptions.Format))]
    public void OutOfRangeSettings_AreNamed(string setting)
    {
        WebhookBudgetAlertSinkOptions options = Valid();
        switch (setting)
        {
            case nameof(WebhookBudgetAlertSinkOptions.MaxAttempts): options.MaxAttempts = 0; break;
            case nameof(WebhookBudgetAlertSinkOptions.MaxQueuedAlerts): options.MaxQueuedAlerts = 0; break;
            case nameof(WebhookBudgetAlertSinkOptions.Timeout): options.Timeout = TimeSpan.Zero; break;
            case nameof(WebhookBudgetAlertSinkOptions.MaxRetryDelay): options.MaxRetryDelay = TimeSpan.FromMilliseconds(500); break;
            case nameof(WebhookBudgetAlertSinkOptions.DrainTimeout): options.DrainTimeout = TimeSpan.FromSeconds(-1); break;
            default: options.Format = (WebhookBudgetAlertFormat)7; break;
        }

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(setting, ex.ParamName);
    }

    [Fact]
    public void AHeaderTheSinkSetsItself_IsRefused()
    {
        WebhookBudgetAlertSinkOptions options = Valid();
        options.Headers[WebhookBudgetAlertSink.SignatureHeader] = "sha256=forged";

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(nameof(WebhookBudgetAlertSinkOptions.Headers), ex.ParamName);
        Assert.DoesNotContain("forged", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptySecret_IsNamed()
    {
        WebhookBudgetAlertSinkOptions options = Valid();
        options.Secret = "";

        Assert.Equal(nameof(WebhookBudgetAlertSinkOptions.Secret), Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }

    [Fact]
    public async Task Registered_BesideTheLoggingSink_Once_AndSends()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        ServiceProvider provider = new ServiceCollection()
            .AddBudgetChat()
            .AddBudgetAlertWebhook(o => o.Url = receiver.Url)
            .AddBudgetAlertWebhook(o => o.Secret = "s3cret")
            .BuildServiceProvider();
        await using (provider)
        {
            IBudgetAlertSink[] sinks = [.. provider.GetServices<IBudgetAlertSink>()];

            Assert.Equal(2, sinks.Length);
            IBudgetAlertSink webhook = Assert.Single(sinks, s => s is WebhookBudgetAlertSink);
            await webhook.OnBudgetAlertAsync(new BudgetAlert("acme", "k", 0.8m, 8m, 10m, DateTimeOffset.UtcNow, null), CancellationToken.None);
            ReceivedWebhook request = await receiver.NextAsync();
            Assert.StartsWith("sha256=", request.Headers[WebhookBudgetAlertSink.SignatureHeader], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnInvalidUrl_FailsAtStart_NamingTheSetting()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddBudgetAlertWebhook(o => { o.Url = new Uri("ftp://hooks.example.com/"); o.MaxAttempts = 0; })
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("WebhookBudgetAlertSinkOptions.Url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_EverySettingIsBound_ThenCodeRuns()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Url"] = "https://hooks.slack.com/services/T/B/X",
            ["Format"] = "Slack",
            ["MaxAttempts"] = "3",
            ["FirstRetryDelay"] = "00:00:02",
            ["Headers:X-Tenant"] = "t1",
        }).Build();
        using ServiceProvider provider = new ServiceCollection()
            .AddBudgetAlertWebhook(configuration, o => o.Secret = "from-code")
            .BuildServiceProvider();

        WebhookBudgetAlertSinkOptions options = provider.GetRequiredService<IOptions<WebhookBudgetAlertSinkOptions>>().Value;

        Assert.Equal(new Uri("https://hooks.slack.com/services/T/B/X"), options.Url);
        Assert.Equal(WebhookBudgetAlertFormat.Slack, options.Format);
        Assert.Equal(3, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), options.FirstRetryDelay);
        Assert.Equal("t1", options.Headers["X-Tenant"]);
        Assert.Equal("from-code", options.Secret);
    }
}
