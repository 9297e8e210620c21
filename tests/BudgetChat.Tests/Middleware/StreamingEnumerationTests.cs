using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using NSubstitute;
using NSubstitute.Extensions;

namespace BudgetChat.Tests.Middleware;

/// <summary>How a budgeted stream behaves as an <see cref="IAsyncEnumerable{T}"/>: enumerations, tokens, the end, disposal.</summary>
public sealed class StreamingEnumerationTests : BudgetingChatClientFixture
{
    public StreamingEnumerationTests()
    {
        Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m)).AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task EachEnumeration_IsACallOfItsOwn_ReservedAndChargedOnce()
    {
        Answer("Hi there", Usage(10, 2));
        using var client = CreateClient();
        IAsyncEnumerable<ChatResponseUpdate> stream = client.GetStreamingResponseAsync("hello", ForUser("alice"));

        ChatResponse first = await stream.ToChatResponseAsync();
        ChatResponse second = await stream.ToChatResponseAsync();

        Assert.Equal("Hi there", first.Text);
        Assert.Equal("Hi there", second.Text);
        Assert.Equal(2, InnerCalls);
        Assert.Equal(2 * Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task EnumerationsOnOtherThreads_AtTheSameTime_AreCallsOfTheirOwn()
    {
        Answer("Hi there", Usage(10, 2));
        using var client = CreateClient();
        IAsyncEnumerable<ChatResponseUpdate> stream = client.GetStreamingResponseAsync("hello", ForUser("alice"));

        using var start = new Barrier(8);
        ChatResponse[] responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return stream.ToChatResponseAsync();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()));

        Assert.All(responses, response => Assert.Equal("Hi there", response.Text));
        Assert.Equal(8, InnerCalls);
        Assert.Equal(8 * Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task MoveNext_AfterTheEnd_ReturnsFalse_AndNothingIsChargedTwice()
    {
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient();
        await using IAsyncEnumerator<ChatResponseUpdate> updates = client.GetStreamingResponseAsync("hello", ForUser("alice")).GetAsyncEnumerator();

        int count = 0;
        while (await updates.MoveNextAsync())
        {
            count++;
        }

        Assert.False(await updates.MoveNextAsync());
        await updates.DisposeAsync();
        Assert.True(count > 0);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task DisposedBeforeTheFirstMoveNext_CallsNothing_AndHoldsNothing()
    {
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient();

        IAsyncEnumerator<ChatResponseUpdate> updates = client.GetStreamingResponseAsync("hello", ForUser("alice")).GetAsyncEnumerator();
        await updates.DisposeAsync();

        Assert.Equal(0, InnerCalls);
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheEnumeratorsToken_CancelsTheCall_AndReleasesTheReservation(bool callTokenToo)
    {
        using var callToken = new CancellationTokenSource();
        using var enumeratorToken = new CancellationTokenSource();
        Inner.GetStreamingResponseAsyncCallback = (_, _, ct) => CancelledStream(enumeratorToken, ct);
        using var client = CreateClient();
        IAsyncEnumerable<ChatResponseUpdate> stream = client.GetStreamingResponseAsync("hello", ForUser("alice"), callTokenToo ? callToken.Token : default);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate update in stream.WithCancellation(enumeratorToken.Token))
            {
                Assert.Fail("Nothing should arrive.");
            }
        });

        Assert.False(callToken.IsCancellationRequested);
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task AProviderThatAnswersAtOnce_IsPassedThroughUpdateByUpdate_AndCharged()
    {
        ChatResponseUpdate[] sent =
        [
            new(ChatRole.Assistant, "Hi ") { ModelId = Model },
            new(null, "there") { ModelId = Model },
            new(null, [new UsageContent(Usage(10, 2))]) { ModelId = Model },
        ];
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => sent.ToAsyncEnumerable();
        using var client = CreateClient();

        var received = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hello", ForUser("alice")))
        {
            received.Add(update);
        }

        Assert.Equal(sent, received);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    // Without usage the text that arrived, reasoning included, is counted as a whole (here one token more than its
    // length, so that counting piece by piece would show), in order; 120 pieces outgrow the first buffer many times.
    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(120)]
    public async Task WithoutUsage_EveryPieceThatArrived_IsCountedOnce(int pieces)
    {
        var counted = new List<string>();
        Estimator.Configure().CountTokens(default!, default).ReturnsForAnyArgs(call =>
        {
            counted.Add(call.ArgAt<string>(0));
            return call.ArgAt<string>(0).Length + 1;
        });
        string[] texts = Enumerable.Range(0, pieces).Select(i => new string((char)('a' + (i % 26)), i + 1)).ToArray();
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => texts
            .Select((t, i) => i % 3 == 2
                ? new ChatResponseUpdate(null, [new TextReasoningContent(t)]) { ModelId = Model }
                : new ChatResponseUpdate(ChatRole.Assistant, t) { ModelId = Model })
            .ToAsyncEnumerable();
        using var client = CreateClient();

        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hello", ForUser("alice")))
        {
        }

        Assert.Equal(string.Concat(texts), Assert.Single(counted));
        int expected = texts.Sum(t => t.Length) + 1;
        Assert.Equal(Cost(InputTokens, expected), (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public async Task WithUsage_TheTextThatArrived_IsNotCounted()
    {
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => new ChatResponseUpdate[]
        {
            new(ChatRole.Assistant, "Hi ") { ModelId = Model },
            new(null, "there") { ModelId = Model },
            new(null, [new UsageContent(Usage(10, 2))]) { ModelId = Model },
        }.ToAsyncEnumerable();
        using var client = CreateClient();

        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hello", ForUser("alice")))
        {
        }

        Estimator.DidNotReceiveWithAnyArgs().CountTokens(default!, default);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
    }

    // Contents are read from the list an update was made with, or through IList<AIContent> when it is anything else.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ContentsInAnyList_AreCharged(bool withUsage)
    {
        Estimator.Configure().CountTokens(default!, default).ReturnsForAnyArgs(call => call.ArgAt<string>(0).Length + 1);
        var updates = new List<ChatResponseUpdate>
        {
            new() { Role = ChatRole.Assistant, ModelId = Model, Contents = new AIContent[] { new TextContent("Hi "), new TextContent("there") } },
            new() { ModelId = Model, Contents = new System.Collections.ObjectModel.Collection<AIContent> { new TextReasoningContent("hmm") } },
        };
        if (withUsage)
        {
            updates.Add(new() { ModelId = Model, Contents = new AIContent[] { new UsageContent(Usage(10, 2)) } });
        }

        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => updates.ToAsyncEnumerable();
        using var client = CreateClient();

        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hello", ForUser("alice")))
        {
        }

        decimal expected = withUsage ? Cost(10, 2) : Cost(InputTokens, "Hi therehmm".Length + 1);
        Assert.Equal(expected, (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AProviderStreamThatFailsToClose_IsStillSettled_AndItsErrorSurfaces(bool failsLater)
    {
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => new FailingToClose(
            [new(ChatRole.Assistant, "Hi") { ModelId = Model }, new(null, [new UsageContent(Usage(10, 2))]) { ModelId = Model }],
            failsLater);
        using var client = CreateClient();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hello", ForUser("alice")))
            {
            }
        });

        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> CancelledStream(CancellationTokenSource cts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await cts.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        yield break;
    }

    // A provider's stream whose enumerator throws when disposed: at once, or after yielding.
    private sealed class FailingToClose(ChatResponseUpdate[] updates, bool failsLater) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private int _index = -1;

        public ChatResponseUpdate Current => updates[_index];

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => new(++_index < updates.Length);

        public ValueTask DisposeAsync() => failsLater ? FailLaterAsync() : throw new InvalidOperationException("The connection could not be closed.");

        private static async ValueTask FailLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("The connection could not be closed.");
        }
    }
}
