using System.Text.Json;
using BudgetChat;

namespace BudgetChat.PricingGenerator;

/// <summary>
/// Trims LiteLLM's model price table to the chat models and the fields BudgetChat reads, keeping LiteLLM's shape
/// and the numbers' exact text, so the built-in table and a user's newer LiteLLM file go through one parser.
/// </summary>
public static class PriceTableGenerator
{
    /// <summary>The LiteLLM fields the catalog reads; everything else is dropped.</summary>
    public static readonly string[] Fields =
    [
        "litellm_provider",
        "mode",
        "max_input_tokens",
        "max_output_tokens",
        "max_tokens",
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "output_cost_per_reasoning_token",
    ];

    /// <summary>Writes the trimmed table.</summary>
    /// <returns>How many models were written.</returns>
    public static int Generate(Stream liteLlmJson, Stream output)
    {
        using JsonDocument source = JsonDocument.Parse(liteLlmJson);
        var models = source.RootElement.EnumerateObject()
            .Where(p => ModelPriceCatalog.IsChatModel(p.Value))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();

        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        foreach (JsonProperty model in models)
        {
            writer.WriteStartObject(model.Name);
            foreach (string field in Fields)
            {
                if (model.Value.TryGetProperty(field, out JsonElement value))
                {
                    writer.WritePropertyName(field);
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.Flush();
        return models.Count;
    }
}
