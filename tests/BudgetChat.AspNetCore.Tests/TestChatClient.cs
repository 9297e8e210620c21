using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>The fake LLM: answers with fixed usage unless a test sets a callback, and counts the calls that reached it.</summary>
public sealed class TestChatClient : IChatClient
{
    public const string ModelId = "gpt-4o-mini";
    public const int InputTokens = 10;
    public const int OutputTokens = 20;

    private int _calls;

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? GetResponseAsyncCallback { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public static UsageDetails Usage => new() { InputTokenCount = InputTokens, OutputTokenCount = OutputTokens, TotalTokenCount = InputTokens + OutputTokens };

    /// <summary>What one call of this fake costs at the built-in price of <see cref="ModelId"/>.</summary>
    public static decimal CostOfOneCall => ModelPriceCatalog.CreateDefault().GetPrice(ModelId).GetCost(InputTokens, OutputTokens);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return GetResponseAsyncCallback?.Invoke(messages, options, cancellationToken)
            ?? Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hi there")) { ModelId = ModelId, Usage = Usage });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "Hi ") { ModelId = ModelId };
        yield return new ChatResponseUpdate(ChatRole.Assistant, "there") { ModelId = ModelId };
        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, ModelId = ModelId, Contents = [new UsageContent(Usage)] };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("test", null, ModelId)
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }
}
