using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BudgetChat.Tests.Middleware;

/// <summary>A budgeted client over a <see cref="TestChatClient"/>, with round numbers: input $0.001 and output $0.002 per token, 10 input tokens per call.</summary>
public abstract class BudgetingChatClientFixture
{
    public const string Model = "test-model";
    public const decimal InputPrice = 0.001m;
    public const decimal OutputPrice = 0.002m;
    public const int InputTokens = 10;
    public const int ModelMaxOutput = 100;

    /// <summary>Worst case of a call without MaxOutputTokens: 10 × 0.001 + 100 × 0.002.</summary>
    public const decimal WorstCase = (InputTokens * InputPrice) + (ModelMaxOutput * OutputPrice);

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));

    protected InMemoryBudgetStore Store { get; }

    /// <summary>Gets the store the clients under test use: <see cref="Store"/> itself, unless a derived class puts something in front.</summary>
    protected virtual IBudgetStore ClientStore => Store;

    protected ModelPriceCatalog Prices { get; } = new();

    protected ITokenEstimator Estimator { get; } = Substitute.For<ITokenEstimator>();

    protected TestChatClient Inner { get; } = new() { Metadata = new ChatClientMetadata("test", null, Model) };

    private int _innerCalls;

    protected int InnerCalls => Volatile.Read(ref _innerCalls);

    protected BudgetingChatClientFixture()
    {
        Store = new InMemoryBudgetStore(timeProvider: Time);
        Prices.SetPrice(Model, new ModelPrice(InputPrice, OutputPrice) { MaxOutputTokens = ModelMaxOutput });
        Estimator.CountInputTokens(default!, default, default).ReturnsForAnyArgs(InputTokens);

        // One token per character of output text, so estimates are easy to check.
        Estimator.CountTokens(default!, default).ReturnsForAnyArgs(call => call.ArgAt<string>(0).Length);
    }

    protected BudgetingChatClient CreateClient(Action<BudgetingChatClientOptions>? configure = null)
    {
        var options = new BudgetingChatClientOptions();
        configure?.Invoke(options);
        return new BudgetingChatClient(Inner, ClientStore, options, Prices, Estimator, timeProvider: Time);
    }

    protected static decimal Cost(long input, long output) => (input * InputPrice) + (output * OutputPrice);

    /// <summary>Makes the fake model answer with <paramref name="text"/> and report <paramref name="usage"/> (none when null), both ways.</summary>
    protected void Answer(string text, UsageDetails? usage, Action<ChatOptions?>? onCall = null)
    {
        Inner.GetResponseAsyncCallback = (messages, options, ct) =>
        {
            Interlocked.Increment(ref _innerCalls);
            onCall?.Invoke(options);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { Usage = usage, ModelId = RespondingModel(options) });
        };
        Inner.GetStreamingResponseAsyncCallback = (messages, options, ct) =>
        {
            Interlocked.Increment(ref _innerCalls);
            onCall?.Invoke(options);
            return StreamAsync(text, usage, RespondingModel(options), ct);
        };
    }

    /// <summary>The model a real provider names in its answer: the one asked for.</summary>
    protected string RespondingModel(ChatOptions? options) => options?.ModelId ?? Inner.Metadata?.DefaultModelId ?? Model;

    protected static async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(string text, UsageDetails? usage, string modelId = Model, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (string chunk in Chunks(text))
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = modelId };
        }

        if (usage is not null)
        {
            yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [new UsageContent(usage)], ModelId = modelId };
        }
    }

    protected static IEnumerable<string> Chunks(string text)
    {
        for (int i = 0; i < text.Length; i += 4)
        {
            yield return text.Substring(i, Math.Min(4, text.Length - i));
        }
    }

    protected static UsageDetails Usage(long input, long output, long? cached = null, long? reasoning = null) => new()
    {
        InputTokenCount = input,
        OutputTokenCount = output,
        TotalTokenCount = input + output,
        CachedInputTokenCount = cached,
        ReasoningTokenCount = reasoning,
    };

    protected static Task<ChatResponse> CallAsync(IChatClient client, bool streaming, ChatOptions? options = null, string prompt = "hello", CancellationToken cancellationToken = default) =>
        streaming
            ? client.GetStreamingResponseAsync(prompt, options, cancellationToken).ToChatResponseAsync(cancellationToken)
            : client.GetResponseAsync(prompt, options, cancellationToken);

    protected static ChatOptions ForUser(string user) => new ChatOptions().WithBudgetUser(user);

    protected async Task<BudgetState> UserBudgetAsync(string user, string project = BudgetingChatClientOptions.DefaultProjectName) =>
        (await Store.GetBudgetAsync(project, BudgetKeys.ForUser(user)))!;

    protected async Task AssertNothingHeldAsync(string project = BudgetingChatClientOptions.DefaultProjectName)
    {
        foreach (BudgetState budget in await Store.ListBudgetsAsync(project))
        {
            Assert.True(budget.Reserved == 0m, $"Budget '{budget.Key}' still holds {budget.Reserved}.");
        }
    }
}
