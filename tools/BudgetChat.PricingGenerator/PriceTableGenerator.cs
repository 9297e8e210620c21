using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace BudgetChat.PricingGenerator;

/// <summary>
/// Writes the built-in price table: LiteLLM's chat models as the catalog reads them, one model a line, with only the
/// fields the catalog uses and each price as the exact decimal it was read as. The result is still a LiteLLM price
/// table, read by the same parser as a user's newer LiteLLM file, at two thirds of the size.
/// </summary>
public static class PriceTableGenerator
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Writes the table.</summary>
    /// <param name="liteLlmJson">LiteLLM's <c>model_prices_and_context_window.json</c>.</param>
    /// <param name="output">Where the table is written, as UTF-8.</param>
    /// <returns>How many models were written.</returns>
    public static int Generate(Stream liteLlmJson, Stream output)
    {
        List<KeyValuePair<string, ModelPrice>> models = [.. ModelPriceCatalog.ParseLiteLlm(liteLlmJson).OrderBy(p => p.Key, StringComparer.Ordinal)];

        var table = new StringBuilder("{\n");
        for (int i = 0; i < models.Count; i++)
        {
            (string modelId, ModelPrice price) = models[i];
            table.Append('"').Append(JsonEncodedText.Encode(modelId, Encoder)).Append("\": ")
                .Append(Entry(price))
                .Append(i < models.Count - 1 ? ",\n" : "\n");
        }

        table.Append("}\n");
        byte[] bytes = Encoding.UTF8.GetBytes(table.ToString());
        output.Write(bytes);
        return models.Count;
    }

    private static string Entry(ModelPrice price)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("mode", "chat");
            WritePrice(writer, "input_cost_per_token", price.InputCostPerToken);
            WritePrice(writer, "output_cost_per_token", price.OutputCostPerToken);
            WritePrice(writer, "cache_read_input_token_cost", price.CachedInputCostPerToken);
            WritePrice(writer, "output_cost_per_reasoning_token", price.ReasoningCostPerToken);
            WriteLimit(writer, "max_output_tokens", price.MaxOutputTokens);
            WriteLimit(writer, "max_input_tokens", price.MaxInputTokens);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // The decimal's own text keeps its digits and scale (2.5e-06 becomes 0.0000025), so it reads back bit for bit.
    private static void WritePrice(Utf8JsonWriter writer, string name, decimal? price)
    {
        if (price is { } value)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteLimit(Utf8JsonWriter writer, string name, int? limit)
    {
        if (limit is { } value)
        {
            writer.WriteNumber(name, value);
        }
    }
}
