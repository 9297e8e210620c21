using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Tests.DependencyInjection;

/// <summary>The core's options: one set of rules (data annotations, a generated validator), in a container and in Validate().</summary>
public sealed class OptionsValidationTests
{
    [Fact]
    public void TheDefaults_AreValid()
    {
        new BudgetingChatClientOptions().Validate();
        new BudgetStoreOptions().Validate();
    }

    [Fact]
    public void Validate_ReportsEveryKindOfSetting_WithItsName()
    {
        Assert.Equal(nameof(BudgetingChatClientOptions.ReservationTimeout),
            Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetingChatClientOptions { ReservationTimeout = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Equal(nameof(BudgetingChatClientOptions.GlobalBudgetPeriod),
            Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetingChatClientOptions { GlobalBudgetPeriod = (BudgetPeriod)42 }.Validate()).ParamName);
        Assert.Equal(nameof(BudgetingChatClientOptions.MaxOutputTokensCap),
            Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetingChatClientOptions { MaxOutputTokensCap = 0 }.Validate()).ParamName);

        // The one rule the annotations cannot say (null or not blank) comes from IValidatableObject, named all the same.
        ArgumentException blank = Assert.Throws<ArgumentException>(() => new BudgetingChatClientOptions { DefaultModelId = " " }.Validate());
        Assert.Equal(nameof(BudgetingChatClientOptions.DefaultModelId), blank.ParamName);
        Assert.Contains("BudgetingChatClientOptions.DefaultModelId", blank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BudgetStoreOptions_AreCheckedByTheStore_NamingTheSetting()
    {
        var options = new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromSeconds(-1) };

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryBudgetStore(options));

        Assert.Equal(nameof(BudgetStoreOptions.CompletedIdRetention), ex.ParamName);
        Assert.Contains("BudgetStoreOptions.CompletedIdRetention", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BudgetStoreOptions_WithoutATimeZone_AreRefused()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new BudgetStoreOptions { TimeZone = null! }.Validate());

        Assert.Equal(nameof(BudgetStoreOptions.TimeZone), ex.ParamName);
    }

    [Fact]
    public void InvalidStoreOptions_InAContainer_FailNamingTheSetting()
    {
        using ServiceProvider services = new ServiceCollection()
            .AddBudgetChat()
            .Configure<BudgetStoreOptions>(o => o.CompletedIdRetention = TimeSpan.Zero)
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetStoreOptions>>().Value);

        Assert.Contains("BudgetStoreOptions.CompletedIdRetention", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidResetServiceOptions_InAContainer_FailNamingTheSetting()
    {
        using ServiceProvider services = new ServiceCollection()
            .AddBudgetChat()
            .Configure<BudgetResetServiceOptions>(o => o.Interval = TimeSpan.Zero)
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetResetServiceOptions>>().Value);

        Assert.Contains("BudgetResetServiceOptions.Interval", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryInvalidSetting_IsReported_InOneContainerFailure()
    {
        using ServiceProvider services = new ServiceCollection()
            .AddBudgetChat(o =>
            {
                o.ProjectName = " ";
                o.MinimumOutputTokens = 0;
                o.DefaultModelId = "";
            })
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value);

        Assert.Contains("BudgetingChatClientOptions.ProjectName", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BudgetingChatClientOptions.MinimumOutputTokens", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BudgetingChatClientOptions.DefaultModelId", ex.Message, StringComparison.Ordinal);
    }
}
