using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BudgetChat.Http.Wire;
using BudgetChat.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Http;

/// <summary>
/// Reads a request body with a strict source-generated <see cref="JsonTypeInfo{T}"/>, within the route's body limit
/// (<see cref="BudgetServerOptions.MaxRequestBodyBytes"/>, or <see cref="BudgetServerOptions.MaxLiteLlmBodyBytes"/> for
/// LiteLLM's routes). A body the serializer refuses is answered with a 400 that names every field at fault, not only
/// the first one the serializer met. This type is thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// The body is deserialized as it arrives, from the request stream: a <c>user_dict</c> of 100,000 users is never held
/// as text as well as values. What was read is kept aside (in memory up to <see cref="BudgetServerOptions.MaxRequestBodyBytes"/>,
/// past it in a temporary file) only so that a refused body can be described.
/// </para>
/// <para>
/// The serializer stops at the first error. To name them all, a refused body is looked at again, one property at a
/// time, against the same contract (its properties, their converters, what is required): an unknown or repeated
/// property, a missing required one, and each value its own converter refuses, in objects, dictionaries and arrays of
/// objects alike. An object whose members are each valid is then read whole, so that a rule between its members (two
/// limits of one name) names the member its type says (<see cref="WireValueException.At"/>).
/// </para>
/// </remarks>
internal sealed class RequestReader
{
    private readonly JsonSerializerOptions _options;
    private readonly JsonSerializerOptions _oneProperty;
    private readonly Func<BudgetServerOptions, long> _limit;

    /// <param name="options">The strict options of the request types (a source-generated context's).</param>
    /// <param name="limit">The body limit of the routes, from the service's options.</param>
    public RequestReader(JsonSerializerOptions options, Func<BudgetServerOptions, long> limit)
    {
        _options = options;
        _limit = limit;

        // To check one property alone, the others of its object must not be missing.
        _oneProperty = new JsonSerializerOptions(options) { RespectRequiredConstructorParameters = false };
        _oneProperty.MakeReadOnly();
    }

    /// <summary>Reads the requests of the <c>/v1</c> routes.</summary>
    public static RequestReader Wire { get; } = new(WireJsonContext.Default.Options, static o => o.MaxRequestBodyBytes);

    /// <summary>Reads the requests of LiteLLM's routes, whose <c>/set_budget</c> carries every user in one body.</summary>
    public static RequestReader LiteLlm { get; } = new(LiteLlmJsonContext.Default.Options, static o => o.MaxLiteLlmBodyBytes);

    /// <summary>Reads the body as a <typeparamref name="T"/>; on failure the error is the 400 or 413 answer, and the value is <see langword="null"/>.</summary>
    public async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        BudgetServerOptions options = context.RequestServices.GetRequiredService<IOptions<BudgetServerOptions>>().Value;
        long limit = _limit(options);
        HttpRequest request = context.Request;
        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }

        // Raised (or lowered) for this request only, now that the caller is known: refusals before this point leave
        // Kestrel draining no more than MaxRequestBodyBytes (UnreadBodyMiddleware).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        request.EnableBuffering((int)Math.Min(options.MaxRequestBodyBytes, limit));
        Stream body = request.Body;
        T? value = null;
        try
        {
            try
            {
                value = await JsonSerializer.DeserializeAsync(body, type, context.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Described below from the copy, with every other fault of the body; read the rest of it first.
                await body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(limit));
        }

        UnreadBodyMiddleware.MarkBodyRead(context);
        if (body.Length > limit)
        {
            return (null, Problems.TooLarge(limit));
        }

        if (value is not null)
        {
            return (value, null);
        }

        if (body.Length == 0)
        {
            return (null, Problems.Validation("body", "The request body is empty; a JSON object is required."));
        }

        byte[] copy = new byte[body.Length];
        body.Position = 0;
        await body.ReadExactlyAsync(copy, context.RequestAborted).ConfigureAwait(false);
        return (null, FindInvalidText(copy) ?? Describe(copy, type));
    }

    /// <summary>
    /// Names every string (value or property name) of the body that is not text: bytes that are not UTF-8, or an escaped
    /// lone surrogate (<c>"\ud800"</c>). Such a string cannot become a .NET string without being changed (to U+FFFD),
    /// and ids and keys are compared exactly as sent, so it is refused rather than read; the serializer would throw.
    /// </summary>
    /// <returns>The 400 naming each such field, or <see langword="null"/> when every string is text (or the body is not JSON, which is described later).</returns>
    private static IResult? FindInvalidText(byte[] body)
    {
        // The common case, valid UTF-8 without escapes, costs one vectorised pass and one search.
        bool utf8 = System.Text.Unicode.Utf8.IsValid(body);
        if (utf8 && body.AsSpan().IndexOf("\\u"u8) < 0)
        {
            return null;
        }

        bool[]? invalid = null;
        byte[] readable = body;
        for (int i = 0; !utf8 && i < body.Length;)
        {
            if (Rune.DecodeFromUtf8(body.AsSpan(i), out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                // Kept at the same offsets, so the reader can still tell in which string the bytes were.
                invalid ??= new bool[body.Length];
                readable = ReferenceEquals(readable, body) ? (byte[])body.Clone() : readable;
                for (int j = i; j < i + consumed; j++)
                {
                    invalid[j] = true;
                    readable[j] = (byte)'?';
                }
            }

            i += consumed;
        }

        var errors = new ValidationErrors();
        var containers = new Stack<Container>();
        string? property = null;
        var reader = new Utf8JsonReader(readable);
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        string parent = containers.Peek().Path;
                        property = IsText(ref reader, invalid) ? reader.GetString() : null;
                        if (property is null)
                        {
                            string at = parent.Length == 0 ? "body" : parent;
                            errors.Add(at, $"'{at}' has a property name that is not valid text (a lone surrogate or bytes that are not UTF-8).");
                        }

                        break;

                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        containers.Push(new Container(ValuePath(containers, property), reader.TokenType == JsonTokenType.StartArray));
                        break;

                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.Pop();
                        break;

                    case JsonTokenType.String:
                        string path = ValuePath(containers, property);
                        if (!IsText(ref reader, invalid))
                        {
                            errors.Add(path, $"'{path}' is not valid text: it holds a lone surrogate or bytes that are not UTF-8.");
                        }

                        break;

                    default:
                        _ = ValuePath(containers, property);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON past this point: described with the body's other faults, unless a string before it was not text.
        }

        return errors.HasErrors ? errors.ToResult() : null;
    }

    /// <summary>Whether the current string token is text: none of its bytes are invalid UTF-8 and its escapes make no lone surrogate.</summary>
    private static bool IsText(ref Utf8JsonReader reader, bool[]? invalid)
    {
        int start = (int)reader.TokenStartIndex;
        int end = start + reader.ValueSpan.Length + 2; // with its quotes
        if (invalid is not null && Array.IndexOf(invalid, true, start, Math.Min(end, invalid.Length) - start) >= 0)
        {
            return false;
        }

        if (!reader.ValueIsEscaped)
        {
            return true;
        }

        try
        {
            _ = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The path of the value the reader is at, in the words of the errors (<c>definition.limit</c>, <c>keys[0]</c>); moves an array to its next index.</summary>
    private static string ValuePath(Stack<Container> containers, string? property)
    {
        if (!containers.TryPeek(out Container? container))
        {
            return string.Empty;
        }

        return container.IsArray
            ? $"{(container.Path.Length == 0 ? "body" : container.Path)}[{container.Next++}]"
            : Join(container.Path, property ?? "?");
    }

    private sealed class Container(string path, bool isArray)
    {
        public string Path { get; } = path;

        public bool IsArray { get; } = isArray;

        public int Next { get; set; }
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
        int before = errors.Count;
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

        if (errors.Count == before)
        {
            // Each member is valid alone: the rules between them are the type's own, checked as it is built.
            try
            {
                _ = JsonSerializer.Deserialize(element, type);
            }
            catch (WireValueException ex)
            {
                string at = Within(path, ex.At) is { Length: > 0 } within ? within : "body";
                errors.Add(at, $"'{at}' {ex.Message}");
            }
            catch (JsonException)
            {
                // No rule of the type's own: the caller describes it (a body "that cannot be read").
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

        if (property.CustomConverter is null && value.ValueKind == JsonValueKind.Array && valueType.Kind == JsonTypeInfoKind.Enumerable
            && _options.GetTypeInfo(valueType.ElementType!) is { Kind: JsonTypeInfoKind.Object } itemType)
        {
            CheckArray(value, itemType, at, errors);
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

    /// <summary>An array of objects (the limits of a definition): each item by its index, as an object of its own.</summary>
    private void CheckArray(JsonElement array, JsonTypeInfo itemType, string path, ValidationErrors errors)
    {
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            string at = $"{path}[{index++}]";
            if (item.ValueKind == JsonValueKind.Object)
            {
                CheckObject(item, itemType, at, errors);
            }
            else if (item.ValueKind != JsonValueKind.Null)
            {
                // A null item is the containing type's to refuse, which knows what the item is.
                errors.Add(at, $"'{at}' must be {Describe(itemType)}.");
            }
        }
    }

    private static void Check(byte[] json, JsonTypeInfo readAs, JsonElement value, JsonTypeInfo valueType, string at, ValidationErrors errors)
    {
        try
        {
            _ = JsonSerializer.Deserialize(json, readAs);
        }
        catch (WireValueException ex)
        {
            string where = Within(at, ex.At);
            errors.Add(where, $"'{where}' {ex.Message}");
        }
        catch (JsonException)
        {
            errors.Add(at, value.ValueKind == JsonValueKind.Null ? $"'{at}' must not be null." : $"'{at}' must be {Describe(valueType)}.");
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

    /// <summary>The path of a place within a value (<see cref="WireValueException.At"/>: <c>[2]</c>, <c>.name</c>).</summary>
    private static string Within(string path, string? at) => at switch
    {
        null or "" => path,
        ['.', ..] => path.Length == 0 ? at[1..] : path + at,
        _ => path + at,
    };
}
