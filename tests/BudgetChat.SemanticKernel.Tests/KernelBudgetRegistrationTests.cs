using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class KernelBudgetRegistrationTests
{
    [Fact]
    public async Task BudgetUserScope_KeepsTheOuterUser_FlowsAcrossAwaits_AndEndsOnDispose()
    {
        using ServiceProvider provider = new ServiceCollection().AddBudgetChatForKernel().BuildServiceProvider();
        var kernel = new Kernel(provider);

        using (kernel.BeginBudgetUserScope("alice"))
        {
            using (kernel.BeginBudgetUserScope("mallory"))
            {
                Assert.Equal("alice", kernel.GetBudgetUser());
            }

            Assert.Equal("alice", kernel.GetBudgetUser());
            await Task.Run(() => Assert.Equal("alice", kernel.GetBudgetUser()));
        }

        Assert.Null(kernel.GetBudgetUser());
    }

    [Fact]
    public void BudgetUserScope_RejectsAnEmptyUser()
    {
        using ServiceProvider provider = new ServiceCollection().AddBudgetChatForKernel().BuildServiceProvider();
        var kernel = new Kernel(provider);

        Assert.Equal("userId", Assert.Throws<ArgumentException>(() => kernel.BeginBudgetUserScope(" ")).ParamName);
        Assert.Equal("userId", Assert.Throws<ArgumentNullException>(() => kernel.BeginBudgetUserScope(null!)).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentNullException>(() => BudgetChatKernelExtensions.GetBudgetUser(null!)).ParamName);
    }

    [Fact]
    public void BudgetUserScope_OnAKernelWithoutTheIntegration_SaysHowToAddIt()
    {
        var kernel = new Kernel();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => kernel.BeginBudgetUserScope("alice"));
        Assert.Contains("AddBudgetChat()", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => kernel.GetBudgetUser());
    }

    [Fact]
    public void AddBudgetChatForKernel_Twice_RegistersOneFilterAndOneResolver()
    {
        var services = new ServiceCollection();
        services.AddBudgetChatForKernel().AddBudgetChatForKernel();
        using ServiceProvider provider = services.BuildServiceProvider();
        var kernel = new Kernel(provider);
        BudgetingChatClientOptions options = provider.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value;

        Assert.Single(provider.GetServices<IFunctionInvocationFilter>());
        using (kernel.BeginBudgetUserScope("alice"))
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

        IAutoFunctionInvocationFilter filter = Assert.Single(provider.GetServices<IAutoFunctionInvocationFilter>());
        Assert.Same(filter, Assert.Single(new Kernel(provider).AutoFunctionInvocationFilters));
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
    public void Validate_RejectsInvalidOptions_NamingTheOption(string? argumentName, string invalidOption)
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

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(invalidOption, error.ParamName);
    }

    [Fact]
    public void AddBudgetChatForKernel_RejectsNullServices() =>
        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => BudgetChatKernelServiceCollectionExtensions.AddBudgetChatForKernel(null!)).ParamName);
}
