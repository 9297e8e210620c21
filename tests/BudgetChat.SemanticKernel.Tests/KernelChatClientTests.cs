using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class KernelChatClientTests
{
    private static readonly UsageDetails Usage = new() { InputTokenCount = 100, OutputTokenCount = 20 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseBudgetInKernelServices_ChargesTheBudgetedClientTheKernelResolves(bool streaming)
    {
        var store = new InMemoryBudgetStore();
        var calls = new List<ChatOptions?>();
        IKernelBuilder builder = KernelTestHost.CreateBuilder(store);
        builder.Services.AddBudgetChat(o => o.DefaultUserBudget = new BudgetDefinition(1m));
        builder.Services.AddChatClient(KernelTestHost.ToolCallingLlm(calls, Usage)).UseBudget();
        Kernel kernel = builder.Build();

        string answer = await KernelTestHost.InvokeAsync(
            kernel, new KernelArguments(new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["user"] = "alice" } }), streaming);

        Assert.NotNull(kernel.GetRequiredService<IChatClient>().GetService<BudgetingChatClient>());
        Assert.Equal("done", answer);
        Assert.Single(calls);
        BudgetState alice = (await KernelTestHost.GetUserBudgetAsync(store, "alice"))!;
        Assert.Equal(KernelTestHost.Cost(100, 20), alice.Spent);
        Assert.Equal(0m, alice.Reserved);
    }

    [Fact]
    public async Task AddBudgetedChatClient_RegistersTheStoreOptionsAndFilterItNeeds()
    {
        var calls = new List<ChatOptions?>();
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(KernelTestHost.Prices());
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(calls, Usage), o => o.DefaultUserBudget = new BudgetDefinition(1m));
        Kernel kernel = builder.Build();

        await kernel.InvokePromptAsync("Hello", new KernelArguments { [KernelBudgetOptions.DefaultUserArgumentName] = "alice" });

        IBudgetStore store = kernel.GetRequiredService<IBudgetStore>();
        Assert.IsType<InMemoryBudgetStore>(store);
        Assert.Single(kernel.FunctionInvocationFilters);
        IChatClient client = kernel.GetRequiredService<IChatClient>();
        Assert.NotNull(client.GetService<BudgetToolLoopStopChatClient>());
        Assert.Same(store, client.GetService<IBudgetStore>());
        Assert.Equal(KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(store, "alice"))!.Spent);
    }

    [Fact]
    public async Task AddBudgetedChatClient_WithServiceId_RegistersAKeyedClientThatIsCharged()
    {
        var store = new InMemoryBudgetStore();
        var calls = new List<ChatOptions?>();
        IKernelBuilder builder = KernelTestHost.CreateBuilder(store);
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(calls, Usage), o => o.MaxBudget = 1m, serviceId: "budgeted");
        Kernel kernel = builder.Build();

        await kernel.InvokePromptAsync("Hello", new KernelArguments(new PromptExecutionSettings { ServiceId = "budgeted" }));

        Assert.Null(kernel.Services.GetService<IChatClient>());
        Assert.NotNull(kernel.Services.GetRequiredKeyedService<IChatClient>("budgeted").GetService<BudgetingChatClient>());
        Assert.Equal(KernelTestHost.Cost(100, 20), (await store.GetBudgetAsync(KernelTestHost.Project, BudgetKeys.Global))!.Spent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Refuses_WhenTheCallDoesNotFit_WithoutCallingTheModel(bool streaming)
    {
        var store = new InMemoryBudgetStore();
        await store.SetBudgetAsync(KernelTestHost.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0.0001m));
        var calls = new List<ChatOptions?>();
        IKernelBuilder builder = KernelTestHost.CreateBuilder(store);
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(calls, Usage), o => o.ReduceMaxOutputTokensToFit = false);
        Kernel kernel = builder.Build();

        // 100 output tokens alone cost $0.001, ten times what alice has.
        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 100 } };
        BudgetExceededException refusal = await Assert.ThrowsAsync<BudgetExceededException>(
            () => KernelTestHost.InvokeAsync(kernel, new KernelArguments(settings) { ["budget_user"] = "alice" }, streaming));

        Assert.Equal(BudgetKeys.ForUser("alice"), refusal.Key);
        Assert.Empty(calls);
        BudgetState alice = (await KernelTestHost.GetUserBudgetAsync(store, "alice"))!;
        Assert.Equal(0m, alice.Spent);
        Assert.Equal(0m, alice.Reserved);
    }

    [Fact]
    public async Task ExtensionDataMaxTokens_BoundsTheReservation()
    {
        // The worst case of a call is sized from MaxOutputTokens, which SK takes from ExtensionData["max_tokens"]:
        // 300 output tokens ($0.003) do not fit in $0.002, 100 ($0.001) do.
        var store = new InMemoryBudgetStore();
        await store.SetBudgetAsync(KernelTestHost.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0.002m));
        var calls = new List<ChatOptions?>();
        IKernelBuilder builder = KernelTestHost.CreateBuilder(store);
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(calls, Usage), o => o.ReduceMaxOutputTokensToFit = false);
        Kernel kernel = builder.Build();

        await Assert.ThrowsAsync<BudgetExceededException>(() => kernel.InvokePromptAsync("Hello", Arguments(300)));
        await kernel.InvokePromptAsync("Hello", Arguments(100));

        Assert.Equal(100, Assert.Single(calls)!.MaxOutputTokens);

        static KernelArguments Arguments(int maxTokens) =>
            new(new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["max_tokens"] = maxTokens } }) { ["budget_user"] = "alice" };
    }

    [Fact]
    public async Task ChatCompletionServiceOverTheBudgetedClient_ChargesTheUserAndRunsTheToolLoop()
    {
        var store = new InMemoryBudgetStore();
        var calls = new List<ChatOptions?>();
        IKernelBuilder builder = KernelTestHost.CreateBuilder(store);
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(calls, Usage), o => o.DefaultUserBudget = new BudgetDefinition(1m));
        builder.Plugins.AddFromFunctions("weather", [KernelFunctionFactory.CreateFromMethod((string city) => $"Sunny in {city}", "get_forecast")]);
        Kernel kernel = builder.Build();
#pragma warning disable SKEXP0001
        IChatCompletionService chat = kernel.GetRequiredService<IChatClient>().AsChatCompletionService(kernel.Services);
#pragma warning restore SKEXP0001
        var history = new ChatHistory("You are a weather bot.");
        history.AddUserMessage("What's the forecast?");

        ChatMessageContent answer = await chat.GetChatMessageContentAsync(
            history, new OpenAIPromptExecutionSettings { User = "alice", FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }, kernel);

        Assert.Equal("done", answer.Content);
        Assert.Equal(2, calls.Count);
        Assert.Equal(2 * KernelTestHost.Cost(100, 20), (await KernelTestHost.GetUserBudgetAsync(store, "alice"))!.Spent);
    }

    [Fact]
    public void AddBudgetedChatClient_RejectsMissingArguments()
    {
        IKernelBuilder builder = Kernel.CreateBuilder();
        var client = new TestChatClient();

        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => BudgetChatKernelBuilderExtensions.AddBudgetedChatClient(null!, client)).ParamName);
        Assert.Equal("innerClient", Assert.Throws<ArgumentNullException>(() => builder.AddBudgetedChatClient((IChatClient)null!)).ParamName);
        Assert.Equal("innerClientFactory", Assert.Throws<ArgumentNullException>(() => builder.AddBudgetedChatClient((Func<IServiceProvider, IChatClient>)null!)).ParamName);
        Assert.Equal("serviceId", Assert.Throws<ArgumentException>(() => builder.AddBudgetedChatClient(client, serviceId: " ")).ParamName);
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => BudgetChatKernelBuilderExtensions.AddBudgetChat(null!)).ParamName);
    }
}
