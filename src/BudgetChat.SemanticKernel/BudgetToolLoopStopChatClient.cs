using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat.SemanticKernel;

/// <summary>
/// Ends a tool loop cleanly when the budget refuses one of its later round trips: instead of the
/// <see cref="BudgetExceededException"/>, the loop gets a final assistant message, so the caller receives the
/// conversation so far (the tool calls and their results) rather than an exception.
/// </summary>
/// <remarks>
/// <para>
/// Put it between the function-invocation loop and the budget: <c>.UseKernelFunctionInvocation()</c>, then
/// <c>.UseBudgetToolLoopStop()</c>, then <c>.UseBudget()</c>. The budget middleware refuses a round trip before
/// the model is called and holds nothing for it, and every earlier round trip has been settled to its real cost,
/// so stopping here charges exactly what was spent.
/// </para>
/// <para>
/// Only a later round trip is absorbed: one whose last message carries function results. A refused first call
/// still throws <see cref="BudgetExceededException"/>. The final message has
/// <see cref="ChatResponse.FinishReason"/> <see cref="BudgetExceededFinishReason"/>, its text is
/// <see cref="KernelBudgetOptions.ToolLoopStopMessage"/> (written by BudgetChat, not by the model), and the
/// response's <see cref="ChatResponse.RawRepresentation"/> is the refusal. This type is thread-safe.
/// </para>
/// </remarks>
public sealed partial class BudgetToolLoopStopChatClient : DelegatingChatClient
{
    private readonly string _stopMessage;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="BudgetToolLoopStopChatClient"/> class.</summary>
    /// <param name="innerClient">The budgeted client (a <see cref="BudgetingChatClient"/> or a pipeline containing one).</param>
    /// <param name="stopMessage">The text of the final message, or <see langword="null"/> for <see cref="KernelBudgetOptions.DefaultToolLoopStopMessage"/>.</param>
    /// <param name="loggerFactory">Creates the logger, or <see langword="null"/> for no logging.</param>
    /// <exception cref="ArgumentException"><paramref name="stopMessage"/> is empty.</exception>
    public BudgetToolLoopStopChatClient(IChatClient innerClient, string? stopMessage = null, ILoggerFactory? loggerFactory = null)
        : base(innerClient)
    {
        if (stopMessage is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(stopMessage);
        }

        _stopMessage = stopMessage ?? KernelBudgetOptions.DefaultToolLoopStopMessage;
        _logger = (ILogger?)loggerFactory?.CreateLogger<BudgetToolLoopStopChatClient>() ?? NullLogger.Instance;
    }

    /// <summary>Gets the finish reason of the message that ends a tool loop the budget can no longer pay for: <c>budget_exceeded</c>.</summary>
    public static ChatFinishReason BudgetExceededFinishReason { get; } = new("budget_exceeded");

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (!IsLaterRoundTrip(messages))
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (BudgetExceededException ex)
        {
            Log.ToolLoopStopped(_logger, ex.Key);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, _stopMessage))
            {
                FinishReason = BudgetExceededFinishReason,
                ModelId = options?.ModelId,
                RawRepresentation = ex,
            };
        }
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        bool laterRoundTrip = IsLaterRoundTrip(messages);
        IAsyncEnumerator<ChatResponseUpdate> enumerator = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            bool produced = false;
            while (true)
            {
                BudgetExceededException? refusal = null;
                bool more = false;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (BudgetExceededException ex) when (laterRoundTrip && !produced)
                {
                    // The budget refuses before the model is called, so nothing has been streamed yet.
                    refusal = ex;
                }

                if (refusal is not null)
                {
                    Log.ToolLoopStopped(_logger, refusal.Key);
                    yield return new ChatResponseUpdate(ChatRole.Assistant, _stopMessage)
                    {
                        FinishReason = BudgetExceededFinishReason,
                        ModelId = options?.ModelId,
                        RawRepresentation = refusal,
                    };
                    yield break;
                }

                if (!more)
                {
                    yield break;
                }

                produced = true;
                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A later round trip of a tool loop ends with the results of the functions the model called.</summary>
    private static bool IsLaterRoundTrip(IEnumerable<ChatMessage> messages)
    {
        ChatMessage? last = messages.LastOrDefault();
        if (last is null)
        {
            return false;
        }

        IList<AIContent> contents = last.Contents;
        for (int i = 0; i < contents.Count; i++)
        {
            if (contents[i] is FunctionResultContent)
            {
                return true;
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Stopped a tool loop: budget '{Key}' cannot pay for another round trip, so the model was not called again and the conversation so far was returned.")]
        public static partial void ToolLoopStopped(ILogger logger, string? key);
    }
}
