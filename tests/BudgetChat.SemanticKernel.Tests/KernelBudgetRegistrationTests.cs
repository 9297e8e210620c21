using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class KernelBudgetRegistrationTests
{
    [Fact]
    public async Task Accessor_KeepsTheOuterUser_AndEndsTheScopeOnDispose()
    {
        var accessor = new KernelBudgetUserAccessor();

        using (accessor.BeginScope("alice"))
        {
            using (accessor.BeginScope("mallory"))
            {
                Assert.Equal("alice", accessor.UserId);
            }

            Assert.Equal("alice", accessor.UserId);
            await Task.Run(() => Assert.Equal("alice", accessor.UserId));
        }

        Assert.Null(accessor.UserId);
    }

    [Fact]
    public void Accessor_RejectsAnEmptyUser()
    {
        var accessor = new KernelBudgetUserAccessor();

        Assert.Equal("userId", Assert.Throws<ArgumentException>(() => accessor.BeginScope(" ")).ParamName);
        Assert.Equal("userId", Assert.Throws<ArgumentNullException>(() => accessor.BeginScope(null!)).ParamName);
    }

    [Fact]
    public void AddBudgetChatForKernel_Twice_RegistersOneFilterAndOneResolver()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatForKernel().AddBudgetChatForKernel();
        using ServiceProvider provider = services.BuildServiceProvider();
        var accessor = provider.GetRequiredService<KernelBudgetUserAccessor>();
        BudgetingChatClientOptions options = provider.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value;

        Assert.IsType<BudgetUserFunctionInvocationFilter>(Assert.Single(provider.GetServices<IFunctionInvocationFilter>()));
        using (accessor.BeginScope("alice"))
        {
            Assert.Equal("alice", options.UserIdResolver!(new BudgetCallContext([], null, null)));
        }

        Assert.Null(options.UserIdResolver!(new BudgetCallContext([], null, null)));
    }

    [Fact]
    public void AddBudgetChatForKernel_Twice_RegistersOneAutoFunctionInvocationFilter_ThatKernelsRun()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatForKernel().AddBudgetChatForKernel();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.IsType<BudgetAutoFunctionInvocationFilter>(Assert.Single(provider.GetServices<IAutoFunctionInvocationFilter>()));
        Assert.IsType<BudgetAutoFunctionInvocationFilter>(Assert.Single(new Kernel(provider).AutoFunctionInvocationFilters));
    }

    [Fact]
    public void NegativeToolLoopThreshold_FailsValidation_NamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatForKernel();
        services.Configure<KernelBudgetOptions>(o => o.StopToolLoopWhenRemainingBelow = -0.01m);
        using ServiceProvider provider = services.BuildServiceProvider();

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KernelBudgetOptions>>().Value);
        Assert.Contains("KernelBudgetOptions.StopToolLoopWhenRemainingBelow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptions_FailValidation_NamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatForKernel();
        services.Configure<KernelBudgetOptions>(o => o.UserArgumentNames.Clear());
        using ServiceProvider provider = services.BuildServiceProvider();

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KernelBudgetOptions>>().Value);
        Assert.Contains("KernelBudgetOptions.UserArgumentNames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptions_AreAllNamed_InOneFailure()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatForKernel();
        services.Configure<KernelBudgetOptions>(o =>
        {
            o.ToolLoopStopMessage = " ";
            o.UserArgumentNames.Add("");
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KernelBudgetOptions>>().Value);
        Assert.Contains("KernelBudgetOptions.ToolLoopStopMessage", error.Message, StringComparison.Ordinal);
        Assert.Contains("KernelBudgetOptions.UserArgumentNames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RefusesANegativeStopAmount_AsOutOfRange()
    {
        var options = new KernelBudgetOptions { StopToolLoopWhenRemainingBelow = -1m };

        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(KernelBudgetOptions.StopToolLoopWhenRemainingBelow), error.ParamName);
    }

    [Theory]
    [InlineData(null, "ToolLoopStopMessage")]
    [InlineData(" ", "UserArgumentNames")]
    public void Filter_RejectsInvalidOptions(string? argumentName, string invalidOption)
    {
        var options = new KernelBudgetOptions();
        if (argumentName is null)
        {
            options.ToolLoopStopMessage = "";
        }
        else
        {
            options.UserArgumentNames.Add(argumentName);
        }

        ArgumentException error = Assert.Throws<ArgumentException>(() => new BudgetUserFunctionInvocationFilter(new KernelBudgetUserAccessor(), Options.Create(options)));
        Assert.Equal(invalidOption, error.ParamName);
    }

    [Fact]
    public void AddBudgetChatForKernel_RejectsNullServices() =>
        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => BudgetChatKernelServiceCollectionExtensions.AddBudgetChatForKernel(null!)).ParamName);
}
