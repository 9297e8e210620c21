using System.Text.Json.Nodes;

namespace BudgetChat.EndToEnd.Tests;

/// <summary>A request the fake server received, as sent on the wire.</summary>
/// <param name="Path">The request path, for example <c>/v1/chat/completions</c>.</param>
/// <param name="Body">The raw JSON body.</param>
/// <param name="Authorization">The <c>Authorization</c> header.</param>
public sealed record RecordedRequest(string Path, string Body, string Authorization)
{
    public JsonObject Json { get; } = JsonNode.Parse(Body)!.AsObject();

    public bool IsStreaming => Json["stream"]?.GetValue<bool>() == true;

    public string Model => Json["model"]!.GetValue<string>();

    /// <summary>Whether <paramref name="name"/> is a property name anywhere in the body.</summary>
    public bool HasPropertyNamed(string name) => HasProperty(Json, name);

    private static bool HasProperty(JsonNode? node, string name) => node switch
    {
        JsonObject o => o.Any(p => p.Key == name || HasProperty(p.Value, name)),
        JsonArray a => a.Any(item => HasProperty(item, name)),
        _ => false,
    };
}
