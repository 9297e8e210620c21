using System.Runtime.CompilerServices;
using System.Text;
using BudgetChat;
using Microsoft.Extensions.AI;

namespace BudgetChat.Samples;

/// <summary>
/// OFFLINE DEMO MODEL: a stand-in for a real chat model so the samples run with no API key and no network. It
/// answers with canned text, but its usage is real: input and output tokens are counted with OpenAI's tokenizer,
/// so BudgetChat charges what the real model would for the same text. It honours MaxOutputTokens (finish reason
/// "length") and streams word by word with a usage update at the end, as OpenAI does.
/// </summary>
public sealed class OfflineChatClient : IChatClient
{
    /// <summary>Marks every answer, so nobody mistakes it for a real model's.</summary>
    public const string Label = "[offline demo model]";

    private static readonly string[] Answers =
    [
        "I'm doing well, thanks for asking! I'm an offline demo model, so I can't say anything clever, but every token of this answer is counted and charged like a real model's would be. How can I help you today?",
        "Here is a short answer from the offline demo model. A real model would think harder, but it would be billed the same way: the prompt's tokens at the input price, this text's tokens at the output price.",
        "Budgets keep one runaway loop from spending the month's money in an hour. This offline demo model answers every question with a few sentences like these, so you can watch the budget go down without paying for it.",
    ];

    private readonly TiktokenTokenEstimator _tokens = new();
    private readonly ChatClientMetadata _metadata;

    /// <summary>Initializes a new instance of the <see cref="OfflineChatClient"/> class.</summary>
    /// <param name="defaultModelId">The model it pretends to be when a call names none.</param>
    public OfflineChatClient(string defaultModelId = "gpt-4o-mini")
    {
        _metadata = new ChatClientMetadata("budgetchat-offline-demo", null, defaultModelId);
    }

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Reply reply = Compose(messages, options);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply.Text))
        {
            ModelId = reply.ModelId,
            FinishReason = reply.FinishReason,
            Usage = reply.Usage,
        });
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Reply reply = Compose(messages, options);
        foreach (string word in reply.Text.Split(' '))
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = reply.ModelId };
        }

        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = reply.ModelId,
            FinishReason = reply.FinishReason,
            Contents = [new UsageContent(reply.Usage)],
        };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private Reply Compose(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        string modelId = options?.ModelId ?? _metadata.DefaultModelId!;
        int inputTokens = _tokens.CountInputTokens(messages, options, modelId);
        string prompt = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        string answer = $"{Label} {Answers[(prompt.Length + prompt.Count(char.IsWhiteSpace)) % Answers.Length]}";

        // Cut at MaxOutputTokens, whole words only, as a real model stops at its limit.
        int max = options?.MaxOutputTokens ?? int.MaxValue;
        var text = new StringBuilder();
        int outputTokens = 0;
        ChatFinishReason finish = ChatFinishReason.Stop;
        foreach (string word in answer.Split(' '))
        {
            string next = text.Length == 0 ? word : $"{text} {word}";
            int count = _tokens.CountTokens(next, modelId);
            if (count > max)
            {
                finish = ChatFinishReason.Length;
                break;
            }

            text.Clear().Append(next);
            outputTokens = count;
        }

        var usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens };
        return new Reply(text.ToString(), modelId, finish, usage);
    }

    private sealed record Reply(string Text, string ModelId, ChatFinishReason FinishReason, UsageDetails Usage);
}
