using Microsoft.Extensions.AI;
using System.Text;

namespace BudgetChat;

/// <summary>Bounds token counts from above by the text's UTF-8 length, without running a tokenizer.</summary>
/// <remarks>
/// <para>
/// Byte-level BPE tokenizers (all of OpenAI's) never make a token of less than one byte, so the UTF-8 length is
/// never below the true count. It is about four times the count for English text: reservations are safe but
/// large. Use it where tokenizing on every call costs too much, or for models whose tokenizer is unknown.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
public sealed class ByteCountTokenEstimator : ITokenEstimator
{
    /// <summary>Initializes a new instance of the <see cref="ByteCountTokenEstimator"/> class.</summary>
    /// <param name="tokensPerImage">Tokens counted for each image or other binary input part.</param>
    public ByteCountTokenEstimator(int tokensPerImage = TiktokenTokenEstimator.DefaultTokensPerImage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerImage);
        TokensPerImage = tokensPerImage;
    }

    /// <summary>Gets the tokens counted for each image or other binary input part.</summary>
    public int TokensPerImage { get; }

    /// <inheritdoc/>
    public int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId) =>
        InputTokens.Count(this, TokensPerImage, messages, options, modelId);

    /// <inheritdoc/>
    public int CountTokens(string text, string? modelId) =>
        string.IsNullOrEmpty(text) ? 0 : Encoding.UTF8.GetByteCount(text);
}
