using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BudgetChat.Http.Wire;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace BudgetChat.Server.Http;

/// <summary>
/// What the OpenAPI document cannot learn from the wire types alone: the shape of values read by the contract's own
/// converters (tokens, limit names, model patterns, a limit's amount), and examples of the budget policies' shapes.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class WireSchemas
{
    /// <summary>A definition with a per-model cap and a token limit beside its main limit, observing only (docs/budget-service-api.md).</summary>
    public const string DefinitionExample = """
        {
          "limit": 50, "period": "monthly", "alignment": "calendar", "alertThresholds": [0.8, 1],
          "limits": [
            { "amount": 5, "unit": "dollars", "period": "daily", "alignment": "calendar", "models": [], "name": "daily" },
            { "amount": 10, "unit": "dollars", "period": "monthly", "alignment": "calendar", "models": ["gpt-4o", "claude-opus-*"], "name": "premium" },
            { "amount": 100000, "unit": "tokens", "period": "minutely", "alignment": "calendar", "models": [], "name": "per-minute tokens" }
          ],
          "enforcement": "observe"
        }
        """;

    /// <summary>A reservation of a call's worst case: its cost, its tokens and its model.</summary>
    public const string ReserveExample = """
        { "reservationId": "r1", "keys": ["global", "user:1234"], "amount": 0.05, "expiresAt": "2026-03-10T12:05:00+00:00", "tokens": 4200, "model": "gpt-4o" }
        """;

    public static Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        Type type = context.JsonTypeInfo.Type;
        if (type == typeof(DefinitionDto))
        {
            schema.Examples = [JsonNode.Parse(DefinitionExample)!];
        }
        else if (type == typeof(ReserveRequest))
        {
            schema.Examples = [JsonNode.Parse(ReserveExample)!];
        }

        // The converter the property names (for a nullable property the serializer wraps it in a converter of its own).
        Type? converter = context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(JsonConverterAttribute), inherit: false)
            .OfType<JsonConverterAttribute>().FirstOrDefault()?.ConverterType;
        switch (converter)
        {
            case not null when converter == typeof(WireTokensConverter):
                schema.Type = JsonSchemaType.Integer | JsonSchemaType.Null;
                schema.Minimum = "0";
                schema.Maximum = BudgetUsage.MaxTokens.ToString(CultureInfo.InvariantCulture);
                break;

            case not null when converter == typeof(WireAmountConverter):
                schema.Type = JsonSchemaType.Number;
                schema.Minimum = "0";
                schema.Maximum = WireLimits.Format(WireLimits.MaxMoney);
                break;

            case not null when converter == typeof(WireLimitNameConverter):
                schema.Type = JsonSchemaType.String | JsonSchemaType.Null;
                schema.MinLength = 1;
                schema.MaxLength = BudgetLimit.MaxNameLength;
                break;

            case not null when converter == typeof(WireModelsConverter):
                schema.Type = JsonSchemaType.Array | JsonSchemaType.Null;
                schema.Items = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = BudgetLimit.MaxNameLength };
                break;
        }

        return Task.CompletedTask;
    }
}
