using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BudgetChat.Http.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Http;

/// <summary>
/// Reads a request body with a strict source-generated <see cref="JsonTypeInfo{T}"/>, within
/// <see cref="BudgetServerOptions.MaxRequestBodyBytes"/>. A body the serializer refuses is answered with a 400 that
/// names every field at fault, not only the first one the serializer met. This type is thread-safe.
/// </summary>
/// <remarks>
/// The serializer stops at the first error. To name them all, a refused body is looked at again, one property at a
/// time, against the same contract (its properties, their converters, what is required): an unknown or repeated
/// property, a missing required one, and each value its own converter refuses.
/// </remarks>
internal sealed class RequestReader
{
    private readonly JsonSerializerOptions _options;
    private readonly JsonSerializerOptions _oneProperty;

    /// <param name="options">The strict options of the request types (a source-generated context's).</param>
    public RequestReader(JsonSerializerOptions options)
    {
        _options = options;

        // To check one property alone, the others of its object must not be missing.
        _oneProperty = new JsonSerializerOptions(options) { RespectRequiredConstructorParameters = false };
        _oneProperty.MakeReadOnly();
    }

    /// <summary>Reads the requests of the <c>/v1</c> routes.</summary>
    public static RequestReader Wire { get; } = new(WireJsonContext.Default.Options);

    /// <summary>Reads the requests of LiteLLM's routes.</summary>
    public static RequestReader LiteLlm { get; } = new(LiteLlmJsonContext.Default.Options);

    /// <summary>Reads the body as a <typeparamref name="T"/>; on failure the error is the 400 or 413 answer, and the value is <see langword="null"/>.</summary>
    public async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        (byte[]? body, IResult? error) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        try
        {
            if (JsonSerializer.Deserialize(body!, type) is { } value)
            {
                return (value, null);
            }
        }
        catch (JsonException)
        {
            // Described below, with every other fault of the body.
        }

        return (null, Describe(body!, type));
    }

    private static async Task<(byte[]? Body, IResult? Error)> ReadBodyAsync(HttpContext context)
    {
        long limit = context.RequestServices.GetRequiredService<IOptions<BudgetServerOptions>>().Value.MaxRequestBodyBytes;
        HttpRequest request = context.Request;
        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(limit));
        }

        return buffer.Length switch
        {
            0 => (null, Problems.Validation("body", "The request body is empty; a JSON object is required.")),
            _ when buffer.Length > limit => (null, Problems.TooLarge(limit)),
            _ => (buffer.ToArray(), null),
        };
    }

    private IResult Describe(byte[] body, JsonTypeInfo type)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return Problems.Validation("body", $"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Problems.Validation("body", "The request body must be a JSON object.");
            }

            var errors = new ValidationErrors();
            CheckObject(document.RootElement, type, path: string.Empty, errors);
            if (!errors.HasErrors)
            {
                errors.Add("body", "The request body cannot be read.");
            }

            return errors.ToResult();
        }
    }

    private void CheckObject(JsonElement element, JsonTypeInfo type, string path, ValidationErrors errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in element.EnumerateObject())
        {
            string at = Join(path, property.Name);
            JsonPropertyInfo? info = type.Properties.FirstOrDefault(p => p.Name == property.Name);
            if (!seen.Add(property.Name))
            {
                errors.Add(at, $"'{at}' appears more than once.");
            }
            else if (info is null)
            {
                errors.Add(at, $"'{at}' is not a known property.");
            }
            else
            {
                CheckValue(property.Value, info, type, at, errors);
            }
        }

        foreach (JsonPropertyInfo info in type.Properties)
        {
            if (info.IsRequired && !seen.Contains(info.Name))
            {
                string at = Join(path, info.Name);
                errors.Add(at, $"'{at}' is required.");
            }
        }
    }

    private void CheckValue(JsonElement value, JsonPropertyInfo property, JsonTypeInfo declaringType, string at, ValidationErrors errors)
    {
        JsonTypeInfo valueType = _options.GetTypeInfo(property.PropertyType);
        if (property.CustomConverter is null && value.ValueKind == JsonValueKind.Object && valueType.Kind == JsonTypeInfoKind.Object)
        {
            CheckObject(value, valueType, at, errors);
            return;
        }

        if (property.CustomConverter is null && value.ValueKind == JsonValueKind.Object && valueType.Kind == JsonTypeInfoKind.Dictionary)
        {
            CheckDictionary(value, valueType, at, errors);
            return;
        }

        // The value alone in its object: the property's own converter and null rule apply, as in the whole body.
        Check(OneProperty(property.Name, value), _oneProperty.GetTypeInfo(declaringType.Type), value, valueType, at, errors);
    }

    private void CheckDictionary(JsonElement element, JsonTypeInfo type, string path, ValidationErrors errors)
    {
        JsonTypeInfo valueType = _options.GetTypeInfo(type.ElementType!);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            string at = Join(path, entry.Name);
            if (!seen.Add(entry.Name))
            {
                errors.Add(at, $"'{at}' appears more than once.");
            }
            else if (entry.Value.ValueKind == JsonValueKind.Object && valueType.Kind == JsonTypeInfoKind.Object)
            {
                CheckObject(entry.Value, valueType, at, errors);
            }
            else
            {
                Check(Utf8(entry.Value), _oneProperty.GetTypeInfo(valueType.Type), entry.Value, valueType, at, errors);
            }
        }
    }

    private static void Check(byte[] json, JsonTypeInfo readAs, JsonElement value, JsonTypeInfo valueType, string at, ValidationErrors errors)
    {
        try
        {
            _ = JsonSerializer.Deserialize(json, readAs);
        }
        catch (JsonException ex)
        {
            errors.Add(at, ex is WireValueException ? $"'{at}' {ex.Message}"
                : value.ValueKind == JsonValueKind.Null ? $"'{at}' must not be null."
                : $"'{at}' must be {Describe(valueType)}.");
        }
    }

    /// <summary>Says what a value of a type looks like, in the words of the API's documentation.</summary>
    private static string Describe(JsonTypeInfo type)
    {
        Type clr = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        return type.Kind switch
        {
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
            JsonTypeInfoKind.Enumerable => "an array",
            _ when clr.IsEnum => "one of " + string.Join(", ", Enum.GetNames(clr).Select(JsonNamingPolicy.CamelCase.ConvertName)),
            _ when clr == typeof(string) => "a string",
            _ when clr == typeof(bool) => "true or false",
            _ when clr == typeof(DateTimeOffset) => "an ISO 8601 time with an offset",
            _ => "a number",
        };
    }

    private static byte[] OneProperty(string name, JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(name);
            value.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static byte[] Utf8(JsonElement value) => Encoding.UTF8.GetBytes(value.GetRawText());

    private static string Join(string path, string name) => path.Length == 0 ? name : string.Concat(path, ".", name);
}
