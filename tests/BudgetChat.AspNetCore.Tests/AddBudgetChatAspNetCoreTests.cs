using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore.Tests;

public sealed class AddBudgetChatAspNetCoreTests
{
    [Fact]
    public void RegistersItsExceptionHandlerResolverAndDowngradeCallbackOnce_WhenCalledTwice()
    {
        var services = new ServiceCollection();

        services.AddBudgetChatAspNetCore().AddBudgetChatAspNetCore();

        Assert.Single(services, d => d.ServiceType == typeof(IExceptionHandler) && d.ImplementationType == typeof(BudgetExceptionHandler));
        Assert.Single(services, d => d.ServiceType == typeof(IPostConfigureOptions<BudgetingChatClientOptions>) && d.ImplementationType == typeof(HttpUserIdResolverSetup));
        Assert.Single(services, d => d.ServiceType == typeof(IPostConfigureOptions<BudgetingChatClientOptions>) && d.ImplementationType == typeof(ModelDowngradeHeaderSetup));
    }

    [Fact]
    public async Task FailsAtStartNamingTheOption_WhenTheDowngradeHeaderNameIsNotAHeaderName()
    {
        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApp.StartAsync(web: o => o.ModelDowngradeHeaderName = "X Budget Downgrade"));

        Assert.Contains("BudgetChatAspNetCoreOptions.ModelDowngradeHeaderName must be null (no header) or a header name", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ratelimit")]
    [InlineData("X-Budget-Limit")]
    [InlineData("Retry-After")]
    public void Validate_Throws_WhenTheDowngradeHeaderIsOneBudgetChatWritesForSomethingElse(string name)
    {
        var options = new BudgetChatAspNetCoreOptions { ModelDowngradeHeaderName = name };

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(nameof(BudgetChatAspNetCoreOptions.ModelDowngradeHeaderName), ex.ParamName);
        Assert.Contains($"must not be '{name}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("X-Acme-Model-Fallback")]
    public void Validate_Accepts_NoDowngradeHeaderOrAHeaderName(string? name)
    {
        var options = new BudgetChatAspNetCoreOptions { ModelDowngradeHeaderName = name };

        options.Validate();

        Assert.Equal(name, options.ModelDowngradeHeaderName);
    }

    [Fact]
    public async Task FailsAtStartNamingTheOption_WhenTheUserHeaderNameIsBlank()
    {
        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApp.StartAsync(web: o => o.UserHeaderName = " "));

        Assert.Contains(nameof(BudgetChatAspNetCoreOptions.UserHeaderName), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Throws_WhenNoClaimTypeAndNoHeaderCouldNameAUser()
    {
        var options = new BudgetChatAspNetCoreOptions();
        options.UserClaimTypes.Clear();

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(nameof(BudgetChatAspNetCoreOptions.UserClaimTypes), ex.ParamName);
    }

    [Fact]
    public void Validate_Throws_ForABlankClaimType()
    {
        var options = new BudgetChatAspNetCoreOptions();
        options.UserClaimTypes.Add(" ");

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(nameof(BudgetChatAspNetCoreOptions.UserClaimTypes), ex.ParamName);
        Assert.Contains("BudgetChatAspNetCoreOptions.UserClaimTypes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InAContainer_EveryInvalidSetting_IsNamedInOneFailure()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatAspNetCore(o =>
        {
            o.UserHeaderName = "";
            o.MaxUserIdLength = -1;
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BudgetChatAspNetCoreOptions>>().Value);

        Assert.Contains("BudgetChatAspNetCoreOptions.UserHeaderName", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BudgetChatAspNetCoreOptions.MaxUserIdLength", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Throws_WhenTheLongestUserIdIsNotPositive()
    {
        var options = new BudgetChatAspNetCoreOptions { MaxUserIdLength = 0 };

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(BudgetChatAspNetCoreOptions.MaxUserIdLength), ex.ParamName);
    }

    [Fact]
    public void BudgetUserException_RefusesAStatusThatIsNotAClientError()
    {
        Assert.Throws<ArgumentOutOfRangeException>("statusCode", () => new BudgetUserException("bad", 500));
    }
}
