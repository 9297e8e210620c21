using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace BudgetChat.Http.Tests;

/// <summary>The LLM: answers every call with the same text and usage, and counts the calls.</summary>
internal sealed class FakeChatClient(string modelId, long inputTokens, long outputTokens) : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Gets or sets what each call awaits before it answers (the model thinking), or <see langword="null"/> to answer at once.</summary>
    public Func<Task>? Thinking { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (Thinking is { } thinking)
        {
            await thinking();
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = modelId, Usage = Usage() };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (Thinking is { } thinking)
        {
            await thinking();
        }
        else
        {
            await Task.Yield();
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, "ok") { ModelId = modelId };
        yield return new ChatResponseUpdate { ModelId = modelId, Contents = [new UsageContent(Usage())] };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, modelId) : null;

    public void Dispose()
    {
    }

    private UsageDetails Usage() => new() { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens };
}
