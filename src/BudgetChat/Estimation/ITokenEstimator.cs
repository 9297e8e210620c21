using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>Counts, or bounds from above, the tokens a model will be charged for.</summary>
/// <remarks>Implementations are thread-safe.</remarks>
public interface ITokenEstimator
{
    /// <summary>Counts the tokens of a text as the model's tokenizer would.</summary>
    /// <param name="text">The text.</param>
    /// <param name="modelId">The model, or <see langword="null"/> when unknown.</param>
    /// <returns>The token count.</returns>
    int CountTokens(string text, string? modelId);

    /// <summary>Counts the input tokens of a chat request: every message with its overhead, the instructions and the tool definitions.</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="options">The options, whose instructions and tools are sent too.</param>
    /// <param name="modelId">The model, or <see langword="null"/> when unknown.</param>
    /// <returns>The token count.</returns>
    int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId);

}
