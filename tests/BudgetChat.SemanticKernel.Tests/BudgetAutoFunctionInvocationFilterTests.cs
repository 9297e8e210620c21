using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class BudgetAutoFunctionInvocationFilterTests
{
    // 500 input and 100 output tokens cost $0.0015: a round trip that spends all of a $0.0015 budget. Reserving it
    // with up to 100 output tokens needs $0.001 and a little for the input, so it is admitted.
    private static readonly UsageDetails WholeBudget = new() { InputTokenCount = 500, OutputTokenCount = 100 };
    private static readonly decimal WholeBudgetCost = KernelTestHost.Cost(500, 100);

    // 100 input and 50 output tokens cost $0.0006, leaving $0.0009 of $0.0015.
    private static readonly UsageDetails SmallRoundTrip = new() { InputTokenCount = 100, OutputTokenCount = 50 };
    private static readonly decimal SmallRoundTripCost = KernelTestHost.Cost(100, 50);

    private const decimal Limit = 0.0015m;

    private readonly InMemoryBudgetStore _store = new();
    private readonly List<ChatOptions?> _calls = [];
    private int _toolCalls;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EndsTheLoopAfterTheFunctionCall_WhenTheFirstRoundTripSpendsTheWholeBudget(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), Limit);
        Kernel kernel = BuildKernel(WholeBudget);

        string text = await KernelTestHost.InvokeAsync(kernel, Arguments(), streaming);

        // Without the filter the next round trip is refused and the stop client writes its message instead.
        Assert.DoesNotContain(KernelBudgetOptions.DefaultToolLoopStopMessage, text, StringComparison.Ordinal);
        Assert.Single(_calls);
        Assert.Equal(1, _toolCalls);
        await AssertChargedAsync(BudgetKeys.ForUser("alice"), WholeBudgetCost);
    }

    [Fact]
    public async Task TerminatedLoop_EndsWithTheFunctionResult()
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), Limit);
        Kernel kernel = BuildKernel(WholeBudget);

        ChatResponse response = await InvokeForResponseAsync(kernel, Arguments());

        Assert.NotEqual(BudgetToolLoopStopChatClient.BudgetExceededFinishReason, response.FinishReason);
        Assert.Equal("Sunny in Paris", Assert.IsType<FunctionResultContent>(Assert.Single(response.Messages[^1].Contents)).Result?.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LetsTheLoopGoOn_WhileTheBudgetHasMoneyLeft(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 1m);
        Kernel kernel = BuildKernel(SmallRoundTrip);

        string text = await KernelTestHost.InvokeAsync(kernel, Arguments(), streaming);

        Assert.Equal("done", text);
        Assert.Equal(2, _calls.Count);
        await AssertChargedAsync(BudgetKeys.ForUser("alice"), 2 * SmallRoundTripCost);
    }

    [Theory]
    [InlineData("0.001", true)]
    [InlineData("0.0009", false)]
    public async Task EndsTheLoop_OnlyWhenWhatIsLeftIsBelowTheThreshold(string threshold, bool terminated)
    {
        // $0.0009 is left after the first round trip: too little for the next one, but more than nothing.
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), Limit);
        Kernel kernel = BuildKernel(SmallRoundTrip, builder =>
            builder.Services.Configure<KernelBudgetOptions>(o => o.StopToolLoopWhenRemainingBelow = decimal.Parse(threshold, System.Globalization.CultureInfo.InvariantCulture)));

        ChatResponse response = await InvokeForResponseAsync(kernel, Arguments());

        // Not terminated by the filter, the loop asks again, is refused, and the stop client ends it.
        Assert.Equal(terminated, response.FinishReason != BudgetToolLoopStopChatClient.BudgetExceededFinishReason);
        Assert.Equal(terminated, response.Messages[^1].Contents is [FunctionResultContent]);
        Assert.Single(_calls);
        await AssertChargedAsync(BudgetKeys.ForUser("alice"), SmallRoundTripCost);
    }

    [Fact]
    public async Task EndsTheLoop_WhenTheGlobalBudgetIsSpent()
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 1m);
        Kernel kernel = BuildKernel(WholeBudget, builder => builder.AddBudgetChat(o => o.MaxBudget = Limit));

        ChatResponse response = await InvokeForResponseAsync(kernel, Arguments());

        Assert.Equal(1, _toolCalls);
        Assert.Single(_calls);
        Assert.IsType<FunctionResultContent>(Assert.Single(response.Messages[^1].Contents));
        await AssertChargedAsync(BudgetKeys.Global, WholeBudgetCost);
        await AssertChargedAsync(BudgetKeys.ForUser("alice"), WholeBudgetCost);
    }

    [Fact]
    public async Task EndsTheLoop_ForTheUserInTheExecutionSettings()
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), Limit);
        Kernel kernel = BuildKernel(WholeBudget);
        var arguments = new KernelArguments(new OpenAIPromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            MaxTokens = 100,
            User = "alice",
        });

        ChatResponse response = await InvokeForResponseAsync(kernel, arguments);

        Assert.Single(_calls);
        Assert.IsType<FunctionResultContent>(Assert.Single(response.Messages[^1].Contents));
        await AssertChargedAsync(BudgetKeys.ForUser("alice"), WholeBudgetCost);
    }

    [Fact]
    public async Task AStoreThatFails_DoesNotBreakTheLoop()
    {
        IBudgetStore store = ForwardingStoreWhoseReadsFail(_store);
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 1m);
        Kernel kernel = BuildKernel(SmallRoundTrip, store: store);

        ChatResponse response = await InvokeForResponseAsync(kernel, Arguments());

        await store.ReceivedWithAnyArgs().GetBudgetAsync(default!, default!, default);
        Assert.Equal("done", response.Text);
        Assert.Equal(2, _calls.Count);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any(r => Equals(r.Result?.ToString(), "Sunny in Paris")));
        await AssertChargedAsync(BudgetKeys.ForUser("alice"), 2 * SmallRoundTripCost);
    }

    private static IBudgetStore ForwardingStoreWhoseReadsFail(InMemoryBudgetStore real)
    {
        IBudgetStore store = Substitute.For<IBudgetStore>();
#pragma warning disable CA2012 // NSubstitute configures a call by making it.
        store.GetBudgetAsync(default!, default!, default).ThrowsAsyncForAnyArgs(new InvalidOperationException("The store is down."));
        store.GetOrCreateBudgetAsync(default!, default!, default!, default).ReturnsForAnyArgs(c =>
            real.GetOrCreateBudgetAsync(c.ArgAt<string>(0), c.ArgAt<string>(1), c.ArgAt<BudgetDefinition>(2), c.ArgAt<CancellationToken>(3)));
        store.ReserveAsync(default!, default!, default, default!, default, default).ReturnsForAnyArgs(c =>
            real.ReserveAsync(c.ArgAt<string>(0), c.ArgAt<IReadOnlyList<string>>(1), c.ArgAt<BudgetUsage>(2), c.ArgAt<string>(3), c.ArgAt<DateTimeOffset>(4), c.ArgAt<CancellationToken>(5)));
        store.SettleAsync(default!, default!, default(BudgetUsage), default).ReturnsForAnyArgs(c =>
            real.SettleAsync(c.ArgAt<string>(0), c.ArgAt<string>(1), c.ArgAt<BudgetUsage>(2), c.ArgAt<CancellationToken>(3)));
        store.ReleaseAsync(default!, default!, default).ReturnsForAnyArgs(c =>
            real.ReleaseAsync(c.ArgAt<string>(0), c.ArgAt<string>(1), c.ArgAt<CancellationToken>(2)));
#pragma warning restore CA2012
        return store;
    }

    private static KernelArguments Arguments() =>
        new(new PromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 100 },
        })
        {
            ["budget_user"] = "alice",
        };

    private static async Task<ChatResponse> InvokeForResponseAsync(Kernel kernel, KernelArguments arguments)
    {
        FunctionResult result = await kernel.InvokePromptAsync("What's the forecast?", arguments);
        return result.GetValue<ChatResponse>()!;
    }

    private string Forecast(string city)
    {
        Interlocked.Increment(ref _toolCalls);
        return $"Sunny in {city}";
    }

    private Kernel BuildKernel(UsageDetails usage, Action<IKernelBuilder>? configure = null, IBudgetStore? store = null)
    {
        IKernelBuilder builder = KernelTestHost.CreateBuilder(store ?? _store);
        builder.Plugins.AddFromFunctions("weather", [KernelFunctionFactory.CreateFromMethod((string city) => Forecast(city), "get_forecast")]);
        configure?.Invoke(builder);
        builder.AddBudgetedChatClient(KernelTestHost.ToolCallingLlm(_calls, usage), o => o.ReduceMaxOutputTokensToFit = false);
        return builder.Build();
    }

    private async Task SetBudgetAsync(string key, decimal limit) =>
        await _store.SetBudgetAsync(KernelTestHost.Project, key, new BudgetDefinition(limit));

    private async Task AssertChargedAsync(string key, decimal spent)
    {
        BudgetState budget = (await _store.GetBudgetAsync(KernelTestHost.Project, key))!;
        Assert.Equal(spent, budget.Spent);
        Assert.Equal(0m, budget.Reserved);
    }
}
