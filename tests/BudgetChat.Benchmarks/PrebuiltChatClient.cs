using Microsoft.Extensions.AI;

namespace BudgetChat.Benchmarks;

/// <summary>
/// An inner client that answers instantly with a response built once: a cached completed task, and for streaming
/// one small enumerator per call over prebuilt updates. What a benchmark measures on top of it is the middleware.
/// </summary>
public sealed class PrebuiltChatClient : IChatClient
{
    private readonly Task<ChatResponse> _response;
    private readonly ChatResponseUpdate[] _updates;

    public PrebuiltChatClient(ChatResponse response, ChatResponseUpdate[] updates)
    {
        _response = Task.FromResult(response);
        _updates = updates;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _response;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new UpdateStream(_updates);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    // Enumerable and enumerator in one object, as the compiler's async iterators are: one allocation per stream.
    private sealed class UpdateStream(ChatResponseUpdate[] updates) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private int _index = -1;

        public ChatResponseUpdate Current => updates[_index];

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => new(++_index < updates.Length);

        public ValueTask DisposeAsync() => default;
    }
}
