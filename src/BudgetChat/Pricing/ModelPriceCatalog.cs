using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BudgetChat;

/// <summary>Prices of chat models, looked up by model id.</summary>
/// <remarks>
/// <para>
/// <see cref="CreateDefault"/> starts from the prices built into this assembly, generated from LiteLLM's public
/// model price table. Prices can be overridden one by one with <see cref="SetPrice"/> or replaced from a newer
/// LiteLLM <c>model_prices_and_context_window.json</c> with <see cref="LoadLiteLlm"/>.
/// </para>
/// <para>
/// A model id resolves to the first of: the id as given; the id without its provider prefix
/// (<c>openai/gpt-4o</c> → <c>gpt-4o</c>); the id without a date or version suffix
/// (<c>gpt-4o-2024-08-06</c> → <c>gpt-4o</c>). Case is ignored. A model that does not resolve has no price unless
/// <see cref="FallbackPrice"/> is set: an unknown model is never priced at $0.
/// </para>
/// <para>This type is thread-safe. Lookups take no lock; changes replace the table atomically.</para>
/// </remarks>
public sealed partial class ModelPriceCatalog
{
    private const string DefaultResource = "BudgetChat.Pricing.model_prices.json";

    // Read once per process, on first use, and never changed: each catalog copies it before a change.
    private static readonly Lazy<Dictionary<string, ModelPrice>> BuiltIn = new(LoadBuiltIn);

    private readonly Lock _writeGate = new();

    // Never changed once published, so readers need no lock; a change publishes a changed copy.
    private volatile Dictionary<string, ModelPrice> _prices;

    /// <summary>Initializes a new, empty instance of the <see cref="ModelPriceCatalog"/> class.</summary>
    public ModelPriceCatalog()
    {
        _prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
    }

    private ModelPriceCatalog(Dictionary<string, ModelPrice> prices)
    {
        _prices = prices;
    }

    /// <summary>Gets or sets the price of any model that has none, or <see langword="null"/> (the default) to refuse unknown models.</summary>
    public ModelPrice? FallbackPrice { get; set; }

    /// <summary>Gets the ids of the models with a price.</summary>
    public IReadOnlyCollection<string> Models => _prices.Keys;

    /// <summary>Creates a catalog holding the prices built into this assembly.</summary>
    /// <returns>A new catalog; changing it does not change other catalogs.</returns>
    public static ModelPriceCatalog CreateDefault() => new(BuiltIn.Value);

    /// <summary>Creates a catalog from a LiteLLM <c>model_prices_and_context_window.json</c> file.</summary>
    /// <param name="utf8Json">The file's content.</param>
    /// <returns>A new catalog with the chat models of the file.</returns>
    /// <exception cref="FormatException">The content is not a LiteLLM price table.</exception>
    public static ModelPriceCatalog FromLiteLlm(Stream utf8Json) => new(ParseLiteLlm(utf8Json));

    /// <summary>Sets the price of one model, replacing any it had.</summary>
    /// <param name="modelId">The model id, exactly as it is to be looked up (provider prefixes and dates are still stripped on lookup).</param>
    /// <param name="price">The price.</param>
    public void SetPrice(string modelId, ModelPrice price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentNullException.ThrowIfNull(price);
        Update(prices => prices[modelId] = price);
    }

    /// <summary>Adds the chat models of a LiteLLM <c>model_prices_and_context_window.json</c> file, replacing the prices of models it lists.</summary>
    /// <param name="utf8Json">The file's content.</param>
    /// <returns>How many models the file priced.</returns>
    /// <exception cref="FormatException">The content is not a LiteLLM price table; the catalog is unchanged.</exception>
    public int LoadLiteLlm(Stream utf8Json)
    {
        Dictionary<string, ModelPrice> loaded = ParseLiteLlm(utf8Json);
        Update(prices =>
        {
            foreach (KeyValuePair<string, ModelPrice> pair in loaded)
            {
                prices[pair.Key] = pair.Value;
            }
        });
        return loaded.Count;
    }

    /// <summary>Looks up the price of a model, resolving its id as the class remarks describe.</summary>
    /// <param name="modelId">The model id.</param>
    /// <param name="price">The price, or the fallback price, when found.</param>
    /// <returns><see langword="true"/> when the model has a price or a fallback price is set.</returns>
    public bool TryGetPrice(string modelId, [NotNullWhen(true)] out ModelPrice? price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        price = Resolve(_prices, modelId) ?? FallbackPrice;
        return price is not null;
    }

    /// <summary>Gets the price of a model, resolving its id as the class remarks describe.</summary>
    /// <param name="modelId">The model id.</param>
    /// <returns>The price, or the fallback price.</returns>
    /// <exception cref="ModelPriceNotFoundException">The model has no price and no fallback price is set.</exception>
    public ModelPrice GetPrice(string modelId) =>
        TryGetPrice(modelId, out ModelPrice? price) ? price : throw ModelPriceNotFoundException.ForModel(modelId);

    /// <summary>Reads the chat-model prices of a LiteLLM price table.</summary>
    /// <param name="utf8Json">The table.</param>
    /// <returns>The prices by model id.</returns>
    /// <remarks>
    /// One forward pass of a <see cref="Utf8JsonReader"/>: no document is built, and the fields the catalog does not
    /// read (LiteLLM has dozens per model, some of them nested) are skipped unparsed.
    /// </remarks>
    internal static Dictionary<string, ModelPrice> ParseLiteLlm(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        byte[] content = ReadAll(utf8Json);
        var reader = new Utf8JsonReader(content, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("The price table must be a JSON object keyed by model id, as LiteLLM's model_prices_and_context_window.json is.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string modelId = reader.GetString()!;
                reader.Read();
                if (ReadEntry(ref reader) is { } price)
                {
                    prices[modelId] = price;
                }
            }

            // Reading to the end checks that nothing but comments follows the table.
            while (reader.Read())
            {
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The price table is not valid JSON: {ex.Message}", ex);
        }

        return prices;
    }

    // Reads one model's entry, leaving the reader on its last token. Returns a price for a chat (or responses) model
    // with numeric, non-negative input and output prices, null for anything else. A field of an unexpected type
    // (LiteLLM's sample entry has strings, some fields are objects) counts as absent.
    private static ModelPrice? ReadEntry(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        bool chat = false;
        decimal? input = null, output = null, cached = null, reasoning = null;
        int? maxOutput = null, maxTokens = null, maxInput = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("mode"u8))
            {
                reader.Read();
                chat = reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("chat"u8) || reader.ValueTextEquals("responses"u8));
            }
            else if (reader.ValueTextEquals("input_cost_per_token"u8))
            {
                input = ReadPrice(ref reader);
            }
            else if (reader.ValueTextEquals("output_cost_per_token"u8))
            {
                output = ReadPrice(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_token_cost"u8))
            {
                cached = ReadPrice(ref reader);
            }
            else if (reader.ValueTextEquals("output_cost_per_reasoning_token"u8))
            {
                reasoning = ReadPrice(ref reader);
            }
            else if (reader.ValueTextEquals("max_output_tokens"u8))
            {
                maxOutput = ReadTokenLimit(ref reader);
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                maxTokens = ReadTokenLimit(ref reader);
            }
            else if (reader.ValueTextEquals("max_input_tokens"u8))
            {
                maxInput = ReadTokenLimit(ref reader);
            }

            // Past the value, whatever it was: a no-op for a number or string just read, the whole of an object or array.
            reader.Skip();
        }

        if (!chat || input is not { } inputCost || output is not { } outputCost)
        {
            return null;
        }

        return new ModelPrice(inputCost, outputCost)
        {
            CachedInputCostPerToken = cached,
            ReasoningCostPerToken = reasoning,
            MaxOutputTokens = maxOutput ?? maxTokens,
            MaxInputTokens = maxInput,
        };
    }

    // A price is a non-negative JSON number.
    private static decimal? ReadPrice(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out decimal d) && d >= 0 ? d : null;
    }

    // A token limit is a positive JSON integer.
    private static int? ReadTokenLimit(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int i) && i > 0 ? i : null;
    }

    private static byte[] ReadAll(Stream stream)
    {
        if (stream.CanSeek)
        {
            var content = new byte[stream.Length - stream.Position];
            stream.ReadExactly(content);
            return content;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static ModelPrice? Resolve(Dictionary<string, ModelPrice> prices, string modelId)
    {
        string id = modelId;
        while (true)
        {
            if (prices.TryGetValue(id, out ModelPrice? price))
            {
                return price;
            }

            string undated = WithoutDateSuffix(id);
            if (undated.Length != id.Length && prices.TryGetValue(undated, out price))
            {
                return price;
            }

            int slash = id.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                return null;
            }

            id = id[(slash + 1)..];
        }
    }

    /// <summary>
    /// The forms of a model id the catalog looks a price up under, in its order: the id, without its date suffix, then
    /// the same for each provider prefix removed (<c>openai/gpt-4o-2024-08-06</c>, …, <c>gpt-4o</c>).
    /// </summary>
    internal static IEnumerable<string> ResolutionForms(string modelId)
    {
        string id = modelId;
        while (true)
        {
            yield return id;
            string undated = WithoutDateSuffix(id);
            if (undated.Length != id.Length)
            {
                yield return undated;
            }

            int slash = id.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                yield break;
            }

            id = id[(slash + 1)..];
        }
    }

    // Apart from Resolve, so that an id found as given never loads the regular expression engine.
    private static string WithoutDateSuffix(string id) => DateSuffix().Replace(id, string.Empty);

    private static Dictionary<string, ModelPrice> LoadBuiltIn()
    {
        using Stream stream = typeof(ModelPriceCatalog).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException($"The built-in price table '{DefaultResource}' is missing from the assembly.");
        return ParseLiteLlm(stream);
    }

    private void Update(Action<Dictionary<string, ModelPrice>> change)
    {
        lock (_writeGate)
        {
            var copy = new Dictionary<string, ModelPrice>(_prices, StringComparer.OrdinalIgnoreCase);
            change(copy);
            _prices = copy;
        }
    }

    // -2024-08-06, -20241022, -0613 and -2407 style suffixes (dates and YYMM or MMDD versions).
    [GeneratedRegex(@"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateSuffix();
}
