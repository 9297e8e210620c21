using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// The only fake of the seed: a model that answers after a while on the seed's clock, with the usage the next call is to
/// report (none, for an estimate) or a provider failure.
/// </summary>
internal sealed class SeedChatClient(FakeTimeProvider time) : IChatClient
{
    /// <summary>Gets or sets what the next call does: its usage (null for none), how long it takes, whether it fails.</summary>
    public (UsageDetails? Usage, TimeSpan Duration, bool Fails) Next { get; set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        time.Advance(Next.Duration);
        if (Next.Fails)
        {
            throw new HttpRequestException("HTTP 503 from the provider", null, System.Net.HttpStatusCode.ServiceUnavailable);
        }

        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "An answer."))
        {
            ModelId = options?.ModelId,
            Usage = Next.Usage,
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The seed makes no streaming calls.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
