using Microsoft.ML.Tokenizers;

namespace BudgetChat;

/// <summary>Counts tokens with OpenAI's tokenizers (o200k_base or cl100k_base, chosen by model family), as tiktoken does.</summary>
/// <remarks>
/// <para>
/// The vocabularies come from the Microsoft.ML.Tokenizers.Data.* NuGet packages; nothing is downloaded. Models of
/// other providers are counted with o200k_base, an approximation: their own tokenizers are not public.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
public sealed class TiktokenTokenEstimator : TokenEstimatorBase
{
    /// <summary>The default number of tokens counted per image: the most a high-detail image costs on gpt-4o.</summary>
    public const int DefaultTokensPerImage = 1_105;

    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    /// <summary>Initializes a new instance of the <see cref="TiktokenTokenEstimator"/> class.</summary>
    /// <param name="tokensPerImage">Tokens counted for each image or other binary input part.</param>
    public TiktokenTokenEstimator(int tokensPerImage = DefaultTokensPerImage)
        : base(tokensPerImage)
    {
    }

    /// <summary>Gets the name of the encoding used for a model: <c>cl100k_base</c> for gpt-4 and gpt-3.5 models, <c>o200k_base</c> for all others.</summary>
    /// <param name="modelId">The model, or <see langword="null"/>.</param>
    /// <returns>The encoding name.</returns>
    public static string GetEncodingName(string? modelId)
    {
        if (modelId is null)
        {
            return "o200k_base";
        }

        string id = modelId[(modelId.LastIndexOf('/') + 1)..];
        bool cl100k = id.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("gpt-35", StringComparison.OrdinalIgnoreCase)
            || (id.StartsWith("gpt-4", StringComparison.OrdinalIgnoreCase)
                && !id.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase)
                && !id.StartsWith("gpt-4.", StringComparison.OrdinalIgnoreCase));
        return cl100k ? "cl100k_base" : "o200k_base";
    }

    /// <inheritdoc/>
    public override int CountTokens(string text, string? modelId)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        Tokenizer tokenizer = GetEncodingName(modelId) == "cl100k_base" ? Cl100k.Value : O200k.Value;

        // Special-token text such as "<|endoftext|>" in user input is ordinary text to the API.
        return tokenizer.CountTokens(text, considerPreTokenization: true, considerNormalization: true);
    }
}
