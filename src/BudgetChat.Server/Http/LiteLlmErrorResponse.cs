using System.Text.Json.Serialization;

namespace BudgetChat.Server.Http;

/// <summary>
/// An error of LiteLLM's routes, in LiteLLM's shape: <c>status</c> is <c>"error"</c>, <c>message</c> says why (each
/// field at fault by name); <c>errors</c>, which LiteLLM does not read, keys the messages of a 400 by field as the
/// ProblemDetails of the <c>/v1</c> routes do.
/// </summary>
internal sealed record LiteLlmErrorResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IDictionary<string, string[]>? Errors);

/// <summary>The serializer context of <see cref="LiteLlmErrorResponse"/>.</summary>
[JsonSerializable(typeof(LiteLlmErrorResponse))]
internal sealed partial class LiteLlmErrorJsonContext : JsonSerializerContext;
