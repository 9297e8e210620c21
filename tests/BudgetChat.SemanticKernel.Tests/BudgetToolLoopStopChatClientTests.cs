using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace BudgetChat.SemanticKernel.Tests;

public sealed class BudgetToolLoopStopChatClientTests
{
    private static readonly ChatMessage[] LaterRoundTrip =
    [
        new(ChatRole.User, "What's the forecast?"),
        new(ChatRole.Assistant, [new FunctionCallContent("call-1", "get_forecast")]),
        new(ChatRole.Tool, [new FunctionResultContent("call-1", "Sunny")]),
    ];

    private static readonly ChatMessage[] FirstRoundTrip = [new(ChatRole.User, "What's the forecast?")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReturnsTheStopMessage_WhenALaterRoundTripIsRefused(bool streaming)
    {
        var refusal = new BudgetExceededException("refused");
        using var client = new BudgetToolLoopStopChatClient(Throwing(refusal), "Stopped.");

        ChatResponse response = await GetAsync(client, LaterRoundTrip, streaming);

        Assert.Equal("Stopped.", response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages[^1].Role);
        Assert.Equal(BudgetToolLoopStopChatClient.BudgetExceededFinishReason, response.FinishReason);
        Assert.Equal("gpt-4o", response.ModelId);
    }

    [Fact]
    public async Task StreamsOneStopUpdate_CarryingTheRefusal()
    {
        var refusal = new BudgetExceededException("refused");
        using var client = new BudgetToolLoopStopChatClient(Throwing(refusal), "Stopped.");

        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(LaterRoundTrip))
        {
            updates.Add(update);
        }

        ChatResponseUpdate stop = Assert.Single(updates);
        Assert.Same(refusal, stop.RawRepresentation);
        Assert.Equal(BudgetToolLoopStopChatClient.BudgetExceededFinishReason, stop.FinishReason);
    }

    [Fact]
    public async Task StopResponse_CarriesTheRefusal()
    {
        var refusal = new BudgetExceededException("refused");
        using var client = new BudgetToolLoopStopChatClient(Throwing(refusal));

        ChatResponse response = await client.GetResponseAsync(LaterRoundTrip);

        Assert.Same(refusal, response.RawRepresentation);
        Assert.Equal(KernelBudgetOptions.DefaultToolLoopStopMessage, response.Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rethrows_WhenTheFirstRoundTripIsRefused(bool streaming)
    {
        var refusal = new BudgetExceededException("refused");
        using var client = new BudgetToolLoopStopChatClient(Throwing(refusal));

        Assert.Same(refusal, await Assert.ThrowsAsync<BudgetExceededException>(() => GetAsync(client, FirstRoundTrip, streaming)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rethrows_OtherFailuresOfALaterRoundTrip(bool streaming)
    {
        var failure = new BudgetNotFoundException("no budget");
        using var client = new BudgetToolLoopStopChatClient(Throwing(failure));

        Assert.Same(failure, await Assert.ThrowsAsync<BudgetNotFoundException>(() => GetAsync(client, LaterRoundTrip, streaming)));
    }

    [Fact]
    public async Task PassesAnswersThrough()
    {
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny all day."))),
            GetStreamingResponseAsyncCallback = (_, _, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny all day.")).ToChatResponseUpdates().ToAsyncEnumerable(),
        };
        using var client = new BudgetToolLoopStopChatClient(inner);

        Assert.Equal("Sunny all day.", (await GetAsync(client, LaterRoundTrip, streaming: false)).Text);
        Assert.Equal("Sunny all day.", (await GetAsync(client, LaterRoundTrip, streaming: true)).Text);
    }

    [Fact]
    public void RejectsAnEmptyStopMessage()
    {
        Assert.Equal("stopMessage", Assert.Throws<ArgumentException>(() => new BudgetToolLoopStopChatClient(new TestChatClient(), " ")).ParamName);
        Assert.Equal("stopMessage", Assert.Throws<ArgumentException>(() => new ChatClientBuilder(new TestChatClient()).UseBudgetToolLoopStop("")).ParamName);
    }

    private static async Task<ChatResponse> GetAsync(BudgetToolLoopStopChatClient client, ChatMessage[] messages, bool streaming)
    {
        var options = new ChatOptions { ModelId = "gpt-4o" };
        return streaming
            ? await client.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()
            : await client.GetResponseAsync(messages, options);
    }

    private static TestChatClient Throwing(Exception exception) => new()
    {
        GetResponseAsyncCallback = (_, _, _) => throw exception,
        GetStreamingResponseAsyncCallback = (_, _, ct) => ThrowingStream(exception, ct),
    };

    private static async IAsyncEnumerable<ChatResponseUpdate> ThrowingStream(Exception exception, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        throw exception;
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }
}
