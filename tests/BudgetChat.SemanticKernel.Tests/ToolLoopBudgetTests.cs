using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class ToolLoopBudgetTests
{
    // Each round trip reports 100 input and 50 output tokens: $0.0006. Each is reserved with up to 100 output
    // tokens: at least $0.001. A $0.0015 budget admits the first round trip; after it, $0.0009 is left, which
    // cannot hold the second.
    private static readonly UsageDetails Usage = new() { InputTokenCount = 100, OutputTokenCount = 50 };
    private static readonly decimal RoundTripCost = KernelTestHost.Cost(100, 50);

    private readonly InMemoryBudgetStore _store = new();
    private readonly List<ChatOptions?> _calls = [];
    private int _toolCalls;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopsWithTheConversationSoFar_WhenTheNextRoundTripDoesNotFit(bool streaming)
    {
        await SetAliceBudgetAsync(0.0015m);
        Kernel kernel = BuildKernel(builder => builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage), NoReduction));

        string text = await KernelTestHost.InvokeAsync(kernel, Arguments(), streaming);

        Assert.Equal(KernelBudgetOptions.DefaultToolLoopStopMessage, text);
        Assert.Single(_calls);
        Assert.Equal(1, _toolCalls);
        await AssertAliceChargedAsync(RoundTripCost);
    }

    [Fact]
    public async Task StoppedLoop_ReturnsTheToolResults_AndMarksTheFinalMessage()
    {
        await SetAliceBudgetAsync(0.0015m);
        Kernel kernel = BuildKernel(builder => builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage), NoReduction));

        FunctionResult result = await kernel.InvokePromptAsync("What's the forecast?", Arguments());

        ChatResponse response = result.GetValue<ChatResponse>()!;
        Assert.Equal(BudgetToolLoopStopChatClient.BudgetExceededFinishReason, response.FinishReason);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any(r => Equals(r.Result?.ToString(), "Sunny in Paris")));
        Assert.Equal(KernelBudgetOptions.DefaultToolLoopStopMessage, response.Messages[^1].Text);
    }

    [Fact]
    public async Task StopMessage_ComesFromKernelBudgetOptions()
    {
        await SetAliceBudgetAsync(0.0015m);
        Kernel kernel = BuildKernel(builder =>
        {
            builder.Services.Configure<KernelBudgetOptions>(o => o.ToolLoopStopMessage = "Out of budget.");
            builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage), NoReduction);
        });

        FunctionResult result = await kernel.InvokePromptAsync("What's the forecast?", Arguments());

        Assert.Equal("Out of budget.", result.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChargesEveryRoundTripOnItsOwn_WhenTheBudgetSuffices(bool streaming)
    {
        await SetAliceBudgetAsync(1m);
        Kernel kernel = BuildKernel(builder => builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage), NoReduction));

        string text = await KernelTestHost.InvokeAsync(kernel, Arguments(), streaming);

        Assert.Equal("done", text);
        Assert.Equal(2, _calls.Count);
        await AssertAliceChargedAsync(2 * RoundTripCost);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithoutTheStop_ThrowsBudgetExceeded_AfterChargingEarlierRoundTrips(bool streaming)
    {
        await SetAliceBudgetAsync(0.0015m);
        Kernel kernel = BuildKernel(builder =>
        {
            builder.AddBudgetChat(NoReduction);
#pragma warning disable SKEXP0001
            builder.Services.AddChatClient(KernelTestHost.ToolCallingLlm(_calls, Usage)).UseKernelFunctionInvocation().UseBudget();
#pragma warning restore SKEXP0001
        });

        BudgetExceededException refusal = await Assert.ThrowsAsync<BudgetExceededException>(() => KernelTestHost.InvokeAsync(kernel, Arguments(), streaming));

        Assert.Equal(BudgetKeys.ForUser("alice"), refusal.Key);
        Assert.Single(_calls);
        Assert.Equal(1, _toolCalls);
        await AssertAliceChargedAsync(RoundTripCost);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopsAToolLoopOfMicrosoftExtensionsAI_Too(bool streaming)
    {
        await SetAliceBudgetAsync(0.0015m);
        using IChatClient client = new ChatClientBuilder(KernelTestHost.ToolCallingLlm(_calls, Usage))
            .UseFunctionInvocation()
            .UseBudgetToolLoopStop("Stopped.")
            .UseBudget(_store, o => o.ReduceMaxOutputTokensToFit = false)
            .Build(new ServiceCollection().AddSingleton(KernelTestHost.Prices()).BuildServiceProvider());
        var options = new ChatOptions { MaxOutputTokens = 100, Tools = [AIFunctionFactory.Create((string city) => Forecast(city), "get_forecast")] }.WithBudgetUser("alice");

        ChatResponse response = streaming
            ? await client.GetStreamingResponseAsync("What's the forecast?", options).ToChatResponseAsync()
            : await client.GetResponseAsync("What's the forecast?", options);

        Assert.Equal("Stopped.", response.Messages[^1].Text);
        Assert.Equal(BudgetToolLoopStopChatClient.BudgetExceededFinishReason, response.FinishReason);
        Assert.Single(_calls);
        await AssertAliceChargedAsync(RoundTripCost);
    }

    private static void NoReduction(BudgetingChatClientOptions options) => options.ReduceMaxOutputTokensToFit = false;

    private static KernelArguments Arguments() =>
        new(new PromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 100 },
        })
        {
            ["budget_user"] = "alice",
        };

    private string Forecast(string city)
    {
        Interlocked.Increment(ref _toolCalls);
        return $"Sunny in {city}";
    }

    private Kernel BuildKernel(Action<IKernelBuilder> addClient)
    {
        IKernelBuilder builder = KernelTestHost.CreateBuilder(_store);
        builder.Plugins.AddFromFunctions("weather", [KernelFunctionFactory.CreateFromMethod((string city) => Forecast(city), "get_forecast")]);
        addClient(builder);
        return builder.Build();
    }

    private async Task SetAliceBudgetAsync(decimal limit) =>
        await _store.SetBudgetAsync(KernelTestHost.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(limit));

    private async Task AssertAliceChargedAsync(decimal spent)
    {
        BudgetState alice = (await KernelTestHost.GetUserBudgetAsync(_store, "alice"))!;
        Assert.Equal(spent, alice.Spent);
        Assert.Equal(0m, alice.Reserved);
    }
}
