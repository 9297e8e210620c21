using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using Microsoft.Extensions.AI;

namespace BudgetChat.EndToEnd.Tests;

public sealed class StreamCutTests : EndToEndTest
{
    [Fact]
    public async Task StreamCutAfterContent_Rethrows_AndChargesTheEstimateOfWhatArrived()
    {
        string[] chunks = ["Half of ", "an answer ", "and then"];
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Server.Enqueue(ScriptedResponse.CutAfter(chunks, cut.Task));
        IChatClient client = CreateClient();
        List<ChatMessage> messages = Prompt("Tell me a long story.");
        ChatOptions options = ForUser();

        var received = new StringBuilder();
        Exception? failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, options))
            {
                received.Append(update.Text);

                // Cut only once everything sent before the cut has been read, so what arrived is known exactly.
                if (received.ToString() == string.Concat(chunks))
                {
                    cut.TrySetResult();
                }
            }
        });

        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(string.Concat(chunks), received.ToString());
        await AssertChargedAsync(EstimateWithoutUsage(Model, messages, options, received.ToString()));
    }

    [Fact]
    public async Task CallerCancelsAfterContent_ChargesTheEstimateOfWhatArrived()
    {
        string[] chunks = ["Some ", "words ", "before the caller gave up"];
        var serverDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Server.Enqueue(ScriptedResponse.CutAfter(chunks, serverDone.Task));
        IChatClient client = CreateClient();
        List<ChatMessage> messages = Prompt("Tell me a long story.");
        ChatOptions options = ForUser();
        using var cancellation = new CancellationTokenSource();

        var received = new StringBuilder();
        Exception? failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, options, cancellation.Token))
            {
                received.Append(update.Text);
                if (received.ToString() == string.Concat(chunks))
                {
                    await cancellation.CancelAsync();
                }
            }
        });
        serverDone.TrySetResult();

        Assert.IsAssignableFrom<OperationCanceledException>(failure);
        Assert.Equal(string.Concat(chunks), received.ToString());
        await AssertChargedAsync(EstimateWithoutUsage(Model, messages, options, received.ToString()));
    }

    [Fact]
    public async Task StreamCutBeforeAnyChunk_Rethrows_AndChargesNothing()
    {
        // Cut once the client has the response headers: the failure comes from reading the body, as in a real cut.
        // (Cut earlier, the reset can discard the headers and the client sees a failed request instead.)
        var headers = new ResponseHeadersSignal();
        Server.Enqueue(ScriptedResponse.CutAfter([], headers.Received));
        IChatClient client = CreateClient(perTryPolicy: headers);

        int updates = 0;
        Exception? failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt("Hello?"), ForUser()))
            {
                updates++;
            }
        });

        Assert.True(failure is IOException, failure?.ToString());
        Assert.True(headers.Received.IsCompletedSuccessfully);
        Assert.Equal(0, updates);
        Assert.Single(Server.Requests);
        await AssertChargedAsync(0m);
    }

    [Fact]
    public async Task ResponseBodyCut_WithoutStreaming_Rethrows_AndChargesNothing()
    {
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cut.SetResult();
        Server.Enqueue(ScriptedResponse.CutAfter(["never ", "complete"], cut.Task));
        IChatClient client = CreateClient();

        Exception? failure = await Record.ExceptionAsync(() => client.GetResponseAsync(Prompt("Hello?"), ForUser()));

        // The client reads the whole body before it returns anything: nothing reached the caller, nothing is charged.
        Assert.True(failure is ClientResultException or IOException, failure?.ToString());
        Assert.Single(Server.Requests);
        await AssertChargedAsync(0m);
    }

    /// <summary>Completes <see cref="Received"/> when the OpenAI client has a response's status and headers (streamed bodies are read later).</summary>
    private sealed class ResponseHeadersSignal : PipelinePolicy
    {
        private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Received => _received.Task;

        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            ProcessNext(message, pipeline, currentIndex);
            _received.TrySetResult();
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            await ProcessNextAsync(message, pipeline, currentIndex);
            _received.TrySetResult();
        }
    }
}
