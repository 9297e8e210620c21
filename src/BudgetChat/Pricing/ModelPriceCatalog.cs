using System.Collections.Concurrent;
using System.Collections.Frozen;
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
    private const int MaxCachedLookups = 4096;
    private static readonly Lazy<FrozenDictionary<string, ModelPrice>> BuiltIn = new(LoadBuiltIn);

    private readonly Lock _writeGate = new();
    private volatile Table _table;

    /// <summary>Initializes a new, empty instance of the <see cref="ModelPriceCatalog"/> class.</summary>
    public ModelPriceCatalog()
    {
        _table = new Table(FrozenDictionary<string, ModelPrice>.Empty);
    }

    private ModelPriceCatalog(FrozenDictionary<string, ModelPrice> prices)
    {
        _table = new Table(prices);
    }

    /// <summary>Gets or sets the price of any model that has none, or <see langword="null"/> (the default) to refuse unknown models.</summary>
    public ModelPrice? FallbackPrice { get; set; }

    /// <summary>Gets the ids of the models with a price.</summary>
    public IReadOnlyCollection<string> Models => _table.Prices.Keys;

    /// <summary>Creates a catalog holding the prices built into this assembly.</summary>
    /// <returns>A new catalog; changing it does not change other catalogs.</returns>
    public static ModelPriceCatalog CreateDefault() => new(BuiltIn.Value);

    /// <summary>Creates a catalog from a LiteLLM <c>model_prices_and_context_window.json</c> file.</summary>
    /// <param name="utf8Json">The file's content.</param>
    /// <returns>A new catalog with the chat models of the file.</returns>
    /// <exception cref="FormatException">The content is not a LiteLLM price table.</exception>
    public static ModelPriceCatalog FromLiteLlm(Stream utf8Json) => new(ParseLiteLlm(utf8Json).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));

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
        Table table = _table;

        // An id equal to one of the last two looked up was checked then.
        if (!table.TryResolveRecent(modelId, out price))
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
            price = table.Resolve(modelId);
        }

        price ??= FallbackPrice;
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
    internal static Dictionary<string, ModelPrice> ParseLiteLlm(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The price table is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("The price table must be a JSON object keyed by model id, as LiteLLM's model_prices_and_context_window.json is.");
            }

            var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty model in document.RootElement.EnumerateObject())
            {
                if (TryReadPrice(model.Value, out ModelPrice? price))
                {
                    prices[model.Name] = price;
                }
            }

            return prices;
        }
    }

    /// <summary>Tells whether a LiteLLM entry is a chat model this catalog prices.</summary>
    /// <param name="entry">The entry's value.</param>
    /// <returns><see langword="true"/> for a chat (or responses) model with numeric input and output prices.</returns>
    internal static bool IsChatModel(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        string? mode = entry.TryGetProperty("mode", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        return mode is "chat" or "responses"
            && entry.TryGetProperty("input_cost_per_token", out JsonElement input) && input.ValueKind == JsonValueKind.Number
            && entry.TryGetProperty("output_cost_per_token", out JsonElement output) && output.ValueKind == JsonValueKind.Number;
    }

    private static bool TryReadPrice(JsonElement entry, [NotNullWhen(true)] out ModelPrice? price)
    {
        price = null;
        if (!IsChatModel(entry) ||
            !entry.GetProperty("input_cost_per_token").TryGetDecimal(out decimal input) || input < 0 ||
            !entry.GetProperty("output_cost_per_token").TryGetDecimal(out decimal output) || output < 0)
        {
            return false;
        }

        price = new ModelPrice(input, output)
        {
            CachedInputCostPerToken = ReadDecimal(entry, "cache_read_input_token_cost"),
            ReasoningCostPerToken = ReadDecimal(entry, "output_cost_per_reasoning_token"),
            MaxOutputTokens = ReadInt(entry, "max_output_tokens") ?? ReadInt(entry, "max_tokens"),
            MaxInputTokens = ReadInt(entry, "max_input_tokens"),
        };
        return true;
    }

    private static decimal? ReadDecimal(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetDecimal(out decimal d) && d >= 0 ? d : null;

    private static int? ReadInt(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) && i > 0 ? i : null;

    private static ModelPrice? ResolveUncached(FrozenDictionary<string, ModelPrice> prices, string modelId)
    {
        string id = modelId;
        while (true)
        {
            if (prices.TryGetValue(id, out ModelPrice? price))
            {
                return price;
            }

            string undated = DateSuffix().Replace(id, string.Empty);
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

    private static FrozenDictionary<string, ModelPrice> LoadBuiltIn()
    {
        using Stream stream = typeof(ModelPriceCatalog).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException($"The built-in price table '{DefaultResource}' is missing from the assembly.");
        return ParseLiteLlm(stream).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private void Update(Action<Dictionary<string, ModelPrice>> change)
    {
        lock (_writeGate)
        {
            var copy = new Dictionary<string, ModelPrice>(_table.Prices, StringComparer.OrdinalIgnoreCase);
            change(copy);
            _table = new Table(copy.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
        }
    }

    // The prices and the lookups resolved against them, replaced together so a lookup never caches an answer
    // from an older table into a newer one.
    private sealed class Table(FrozenDictionary<string, ModelPrice> prices)
    {
        private readonly ConcurrentDictionary<string, Resolved> _resolved = new(StringComparer.OrdinalIgnoreCase);

        // The last two ids resolved, compared before hashing: a client usually asks for one model and is answered by
        // a dated variant of it, so these two answer most lookups. Each is replaced whole, so a reader racing a
        // writer sees one complete answer or the other.
        private Resolved? _last;
        private Resolved? _beforeLast;

        public FrozenDictionary<string, ModelPrice> Prices { get; } = prices;

        public bool TryResolveRecent(string modelId, out ModelPrice? price)
        {
            if (_last is { } last && string.Equals(last.Id, modelId, StringComparison.Ordinal))
            {
                price = last.Price;
                return true;
            }

            if (_beforeLast is { } beforeLast && string.Equals(beforeLast.Id, modelId, StringComparison.Ordinal))
            {
                price = beforeLast.Price;
                return true;
            }

            price = null;
            return false;
        }

        public ModelPrice? Resolve(string modelId)
        {
            if (!_resolved.TryGetValue(modelId, out Resolved? resolved))
            {
                resolved = new Resolved(modelId, ResolveUncached(Prices, modelId));

                // Model ids can come from provider responses; bound the cache so odd ids cannot grow it forever.
                if (_resolved.Count < MaxCachedLookups)
                {
                    _resolved.TryAdd(modelId, resolved);
                }
            }

            if (!ReferenceEquals(_last, resolved))
            {
                _beforeLast = _last;
                _last = resolved;
            }

            return resolved.Price;
        }

        private sealed record Resolved(string Id, ModelPrice? Price);
    }

    // -2024-08-06, -20241022, -0613 and -2407 style suffixes (dates and YYMM or MMDD versions).
    [GeneratedRegex(@"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateSuffix();
}
