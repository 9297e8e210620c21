using Microsoft.Extensions.AI;
using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace BudgetChat;

/// <summary>Counts tokens with OpenAI's tokenizers (o200k_base or cl100k_base, chosen by model family), as tiktoken does.</summary>
/// <remarks>
/// <para>
/// The tokenizers are loaded on first use, once per process (a vocabulary takes tens of milliseconds and megabytes to
/// load). <see cref="BudgetingChatClient"/> asks for an exact count only where it decides whether a call fits: until
/// then the text's UTF-8 length, which is never below the count, will do.
/// </para>
/// <para>
/// The vocabularies come from the Microsoft.ML.Tokenizers.Data.* NuGet packages; nothing is downloaded. Models of
/// other providers are counted with o200k_base, an approximation: their own tokenizers are not public.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
public sealed partial class TiktokenTokenEstimator : ITokenEstimator
{
    /// <summary>The default number of tokens counted per image: the most a high-detail image costs on gpt-4o.</summary>
    public const int DefaultTokensPerImage = 1_105;

    private static readonly Lazy<Tokenizer> O200k = new(() => Load("o200k_base", "Microsoft.ML.Tokenizers.Data.O200kBase", O200kPattern()));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => Load("cl100k_base", "Microsoft.ML.Tokenizers.Data.Cl100kBase", Cl100kPattern()));

    /// <summary>Initializes a new instance of the <see cref="TiktokenTokenEstimator"/> class.</summary>
    /// <param name="tokensPerImage">Tokens counted for each image or other binary input part.</param>
    public TiktokenTokenEstimator(int tokensPerImage = DefaultTokensPerImage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerImage);
        TokensPerImage = tokensPerImage;
        UpperBound = new ByteCountTokenEstimator(tokensPerImage);
    }

    /// <summary>
    /// Gets an estimator whose counts are never below this one's and need no tokenizer: a byte-level BPE token is at
    /// least one byte of UTF-8.
    /// </summary>
    internal ByteCountTokenEstimator UpperBound { get; }

    /// <summary>Gets the name of the encoding used for a model: <c>cl100k_base</c> for gpt-4 and gpt-3.5 models, <c>o200k_base</c> for all others.</summary>
    /// <param name="modelId">The model, or <see langword="null"/>.</param>
    /// <returns>The encoding name.</returns>
    public static string GetEncodingName(string? modelId) => IsCl100k(modelId) ? "cl100k_base" : "o200k_base";

    /// <summary>Gets the tokens counted for each image or other binary input part.</summary>
    public int TokensPerImage { get; }

    /// <inheritdoc/>
    public int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId) =>
        InputTokens.Count(this, TokensPerImage, messages, options, modelId);

    /// <inheritdoc/>
    public int CountTokens(string text, string? modelId)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return (IsCl100k(modelId) ? Cl100k.Value : O200k.Value).CountTokens(text);
    }

    private static bool IsCl100k(string? modelId)
    {
        if (modelId is null)
        {
            return false;
        }

        // The family is named after a provider prefix such as "openai/" or "azure/".
        ReadOnlySpan<char> id = modelId.AsSpan(modelId.LastIndexOf('/') + 1);
        return id.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("gpt-35", StringComparison.OrdinalIgnoreCase)
            || (id.StartsWith("gpt-4", StringComparison.OrdinalIgnoreCase)
                && !id.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase)
                && !id.StartsWith("gpt-4.", StringComparison.OrdinalIgnoreCase));
    }

    // The tokenizers are built without special tokens: the API encodes "<|endoftext|>" in a message as ordinary
    // text, and so must a count of what it will bill. The vocabularies are the data packages' embedded files.
    private static TiktokenTokenizer Load(string encoding, string dataAssembly, Regex pattern)
    {
        Assembly data = Assembly.Load(dataAssembly);
        using Stream compressed = data.GetManifestResourceStream($"{encoding}.tiktoken.deflate")
            ?? throw new InvalidOperationException($"The {encoding} vocabulary is missing from {dataAssembly}; reference its NuGet package.");
        using var vocabulary = new DeflateStream(compressed, CompressionMode.Decompress);
        return TiktokenTokenizer.Create(vocabulary, new RegexPreTokenizer(pattern, specialTokens: null), normalizer: null, specialTokens: null);
    }

    // Pre-tokenization patterns of tiktoken's encodings.
    [GeneratedRegex(@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex O200kPattern();

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Cl100kPattern();
}
