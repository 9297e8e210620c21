using System.Runtime.CompilerServices;
using System.Text.Json;
using BudgetChat;
using Microsoft.Extensions.AI;

namespace SemanticKernelChat;

/// <summary>
/// OFFLINE DEMO MODEL, tool-calling edition: when tools are offered and none has answered yet, it asks for the first
/// tool (with "Paris" for each of its string parameters); otherwise the offline demo model answers. Its usage is
/// counted with OpenAI's tokenizer, like the offline demo model's, so the budget sees realistic costs.
/// </summary>
internal sealed class OfflineToolCallingChatClient(IChatClient offlineModel) : DelegatingChatClient(offlineModel)
{
    private readonly TiktokenTokenEstimator _tokens = new();

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        ToolToCall(messages, options) is { } tool
            ? Task.FromResult(CallTool(tool, messages, options))
            : base.GetResponseAsync(messages, options, cancellationToken);

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (ToolToCall(messages, options) is not { } tool)
        {
            await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                yield return update;
            }

            yield break;
        }

        foreach (ChatResponseUpdate update in CallTool(tool, messages, options).ToChatResponseUpdates())
        {
            await Task.Yield();
            yield return update;
        }
    }

    private static AIFunctionDeclaration? ToolToCall(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        options?.Tools?.OfType<AIFunctionDeclaration>().FirstOrDefault() is { } tool
        && !messages.Any(m => m.Contents.OfType<FunctionResultContent>().Any())
            ? tool
            : null;

    private ChatResponse CallTool(AIFunctionDeclaration tool, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        string modelId = options?.ModelId ?? InnerClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? "gpt-4o-mini";
        Dictionary<string, object?> arguments = tool.JsonSchema.TryGetProperty("properties", out JsonElement properties)
            ? properties.EnumerateObject().ToDictionary(p => p.Name, _ => (object?)"Paris")
            : [];
        int inputTokens = _tokens.CountInputTokens(messages, options, modelId);
        int outputTokens = _tokens.CountTokens(tool.Name + JsonSerializer.Serialize(arguments), modelId);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call_{Guid.NewGuid():N}", tool.Name, arguments)]))
        {
            ModelId = modelId,
            FinishReason = ChatFinishReason.ToolCalls,
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens },
        };
    }
}
