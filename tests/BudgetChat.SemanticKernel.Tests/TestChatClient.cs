using Microsoft.Extensions.AI;

namespace BudgetChat.SemanticKernel.Tests;

/// <summary>The fake LLM: every behaviour comes from a callback the test sets.</summary>
public sealed class TestChatClient : IChatClient
{
    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? GetResponseAsyncCallback { get; set; }

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>>? GetStreamingResponseAsyncCallback { get; set; }

    // Semantic Kernel refuses a chat client without metadata.
    public ChatClientMetadata? Metadata { get; set; } = new("test", null, KernelTestHost.ModelId);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        (GetResponseAsyncCallback ?? throw new InvalidOperationException("GetResponseAsyncCallback is not set."))(messages, options, cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        (GetStreamingResponseAsyncCallback ?? throw new InvalidOperationException("GetStreamingResponseAsyncCallback is not set."))(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }
}
