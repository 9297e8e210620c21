using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class KernelBudgetUserTests
{
    private static readonly UsageDetails Usage = new() { InputTokenCount = 100, OutputTokenCount = 20 };
    private readonly InMemoryBudgetStore _store = new();
    private readonly List<ChatOptions?> _calls = [];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChargesTheUserNamedInKernelArguments(bool streaming)
    {
        Kernel kernel = BuildKernel();

        await KernelTestHost.InvokeAsync(kernel, new KernelArguments { ["budget_user"] = "alice" }, streaming);

        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "alice"))!.Spent);
        Assert.Null(Assert.Single(_calls).GetBudgetUser());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChargesTheUserNamedInKernelArguments_WithAPlainUseBudgetPipeline(bool streaming)
    {
        IKernelBuilder builder = KernelTestHost.CreateBuilder(_store);
        builder.AddBudgetChat(o => o.DefaultUserBudget = new BudgetDefinition(1m));
        builder.Services.AddChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage)).UseBudget();
        Kernel kernel = builder.Build();

        await KernelTestHost.InvokeAsync(kernel, new KernelArguments { ["budget_user"] = "alice" }, streaming);

        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "alice"))!.Spent);
    }

    [Theory]
    [InlineData("user", false)]
    [InlineData("user", true)]
    [InlineData(ChatOptionsBudgetExtensions.UserIdKey, false)]
    public async Task ChargesTheUserNamedInExtensionData(string key, bool streaming)
    {
        Kernel kernel = BuildKernel();
        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { [key] = "bob" } };

        await KernelTestHost.InvokeAsync(kernel, new KernelArguments(settings), streaming);

        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "bob"))!.Spent);

        // The provider's own "user" field reaches the model; the middleware's own key does not.
        Assert.Equal(key == ChatOptionsBudgetExtensions.UserIdKey ? null : "bob", Assert.Single(_calls)?.AdditionalProperties?.GetValueOrDefault(key));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChargesTheUserOfOpenAIPromptExecutionSettings(bool streaming)
    {
        Kernel kernel = BuildKernel();

        await KernelTestHost.InvokeAsync(kernel, new KernelArguments(new OpenAIPromptExecutionSettings { User = "carol" }), streaming);

        // SK 1.82 round-trips derived settings through JSON into ExtensionData: User arrives as AdditionalProperties["user"].
        Assert.Equal("carol", Assert.Single(_calls)!.AdditionalProperties![ChatOptionsBudgetExtensions.CompatibleUserIdKey]);
        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "carol"))!.Spent);
    }

    [Fact]
    public async Task ExecutionSettingsUser_WinsOverKernelArguments()
    {
        Kernel kernel = BuildKernel();

        await kernel.InvokePromptAsync("Hello", new KernelArguments(new OpenAIPromptExecutionSettings { User = "carol" }) { ["budget_user"] = "alice" });

        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "carol"))!.Spent);
        Assert.Null(await KernelTestHost.GetUserBudgetAsync(_store, "alice"));
    }

    [Fact]
    public async Task KernelArgumentsUser_WinsOverAConfiguredResolver()
    {
        Kernel kernel = BuildKernel(o => o.UserIdResolver = _ => "fallback");

        await kernel.InvokePromptAsync("Hello", new KernelArguments { ["budget_user"] = "alice" });
        await kernel.InvokePromptAsync("Hello");

        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "alice"))!.Spent);
        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "fallback"))!.Spent);
    }

    [Fact]
    public async Task ReadsTheConfiguredArgumentNames()
    {
        Kernel kernel = BuildKernel(configureServices: services => services.Configure<KernelBudgetOptions>(o => o.UserArgumentNames.Add("user")));

        await kernel.InvokePromptAsync("Hello", new KernelArguments { ["user"] = "dave" });

        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "dave"))!.Spent);
    }

    [Fact]
    public async Task DoesNotReadUserArgument_ByDefault()
    {
        // "user" is a common template variable for the user's message; it must not become a budget key by default.
        Kernel kernel = BuildKernel(o => o.MaxBudget = 1m);

        await kernel.InvokePromptAsync("{{$user}}", new KernelArguments { ["user"] = "What is the weather like?" });

        Assert.Single(_calls);
        IReadOnlyList<BudgetState> budgets = await _store.ListBudgetsAsync(KernelTestHost.Project);
        Assert.Equal(BudgetKeys.Global, Assert.Single(budgets).Key);
        Assert.Equal(KernelTestHost.Cost(100, 20), (await _store.GetBudgetAsync(KernelTestHost.Project, BudgetKeys.Global))!.Spent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCallArguments_CannotSwitchTheUser(bool streaming)
    {
        // The model asks for a tool whose argument is named like the budget user; the tool makes a budgeted call of its own.
        string? userSeenByTool = null;
        IKernelBuilder builder = KernelTestHost.CreateBuilder(_store);
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage), o => o.DefaultUserBudget = new BudgetDefinition(1m));
        builder.Plugins.AddFromFunctions("accounts", [KernelFunctionFactory.CreateFromMethod(
            async (Kernel kernel, string budget_user) =>
            {
                userSeenByTool = kernel.GetBudgetUser();
                return (await kernel.InvokePromptAsync("Summarize", new KernelArguments { ["budget_user"] = budget_user })).ToString();
            },
            "switch_user")]);
        Kernel kernel = builder.Build();

        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        await KernelTestHost.InvokeAsync(kernel, new KernelArguments(settings) { ["budget_user"] = "alice" }, streaming);

        Assert.Equal("alice", userSeenByTool);
        Assert.Equal(3, _calls.Count); // the tool call, the tool's own prompt, the answer
        Assert.Null(await KernelTestHost.GetUserBudgetAsync(_store, "mallory"));
        Assert.Equal(3 * KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(_store, "alice"))!.Spent);
    }

    [Fact]
    public async Task RejectsAnEmptyUserArgument_WithoutCallingTheModel()
    {
        Kernel kernel = BuildKernel();

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => kernel.InvokePromptAsync("Hello", new KernelArguments { ["budget_user"] = " " }));

        Assert.Equal("budget_user", error.ParamName);
        Assert.Empty(_calls);
    }

    [Fact]
    public async Task RejectsANonScalarUserArgument_WithoutCallingTheModel()
    {
        Kernel kernel = BuildKernel();

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => kernel.InvokePromptAsync("Hello", new KernelArguments { ["budget_user"] = new List<string> { "alice" } }));

        Assert.Equal("budget_user", error.ParamName);
        Assert.Empty(_calls);
    }

    [Fact]
    public async Task AcceptsAFormattableUserArgument()
    {
        Kernel kernel = BuildKernel();
        var id = Guid.NewGuid();

        await kernel.InvokePromptAsync("Hello", new KernelArguments { ["budget_user"] = id });

        Assert.NotNull(await KernelTestHost.GetUserBudgetAsync(_store, id.ToString()));
    }

    private Kernel BuildKernel(Action<BudgetingChatClientOptions>? configure = null, Action<IServiceCollection>? configureServices = null)
    {
        IKernelBuilder builder = KernelTestHost.CreateBuilder(_store);
        configureServices?.Invoke(builder.Services);
        builder.AddBudgetChat(o =>
        {
            o.DefaultUserBudget = new BudgetDefinition(1m);
            configure?.Invoke(o);
        });
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage));
        return builder.Build();
    }
}
