using System.Globalization;
using System.Text.Json;

namespace BudgetChat.Server.Http;

/// <summary>
/// Reads the fields of one JSON object of a request, adding an error that names the field for each one missing, of
/// the wrong type or out of range; <see cref="Finish"/> adds one for each property nobody read (unknown) or that
/// appears twice. Not thread-safe.
/// </summary>
internal sealed class RequestObject
{
    /// <summary>The longest key, reservation id, charge id or model id accepted.</summary>
    public const int MaxIdLength = 256;

    /// <summary>The most keys one reservation or charge may name.</summary>
    public const int MaxKeys = 16;

    /// <summary>The largest amount of money accepted anywhere, in US dollars: far beyond any budget, far from overflow.</summary>
    public const decimal MaxMoney = 1_000_000_000_000m;

    /// <summary>The largest alert threshold accepted (a fraction of the limit).</summary>
    public const decimal MaxThreshold = 1_000m;

    /// <summary>The earliest time accepted.</summary>
    public static readonly DateTimeOffset MinTime = DateTimeOffset.UnixEpoch;

    /// <summary>The latest time accepted: far enough from <see cref="DateTimeOffset.MaxValue"/> for any window arithmetic.</summary>
    public static readonly DateTimeOffset MaxTime = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, JsonElement> _properties = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly List<string> _duplicates = [];
    private readonly string _path;
    private readonly ValidationErrors _errors;
    private bool _finished;

    private RequestObject(JsonElement element, string path, ValidationErrors errors)
    {
        _path = path;
        _errors = errors;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!_properties.TryAdd(property.Name, property.Value))
            {
                _duplicates.Add(property.Name);
            }
        }
    }

    /// <summary>Opens the body's root, which must be an object; otherwise adds an error and returns <see langword="null"/>.</summary>
    public static RequestObject? Root(JsonDocument document, ValidationErrors errors)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "The request body must be a JSON object.");
            return null;
        }

        return new RequestObject(document.RootElement, string.Empty, errors);
    }

    /// <summary>Gets the names of the object's properties, in order, once each.</summary>
    public IEnumerable<string> PropertyNames => _properties.Keys;

    /// <summary>Gets the full name of a field for messages and error keys (<c>definition.limit</c>).</summary>
    public string Name(string field) => _path.Length == 0 ? field : string.Concat(_path, ".", field);

    public string? String(string field, bool required, int maxLength = MaxIdLength, bool allowBlank = false)
    {
        if (!TryGet(field, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return Error<string>(field, $"'{Name(field)}' must be a string.");
        }

        string text = value.GetString()!;
        if (!allowBlank && string.IsNullOrWhiteSpace(text))
        {
            return Error<string>(field, $"'{Name(field)}' must not be blank.");
        }

        return text.Length > maxLength ? Error<string>(field, $"'{Name(field)}' is longer than {maxLength} characters.") : text;
    }

    public decimal? Money(string field, bool required)
    {
        if (!TryGet(field, required, out JsonElement value))
        {
            return null;
        }

        return CheckMoney(Name(field), value, field);
    }

    /// <summary>Reads a time in ISO 8601 that states its offset (<c>Z</c> or <c>+01:00</c>).</summary>
    public DateTimeOffset? Time(string field, bool required)
    {
        if (!TryGet(field, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out DateTimeOffset time) && HasOffset(value.GetString()!))
        {
            return CheckTime(Name(field), time, field);
        }

        return Error<DateTimeOffset?>(field, $"'{Name(field)}' must be an ISO 8601 time with an offset, for example \"2026-03-10T12:00:00+00:00\".");
    }

    /// <summary>Reads a list of budget keys: 1 to <see cref="MaxKeys"/> distinct, non-blank strings.</summary>
    public IReadOnlyList<string>? Keys(string field)
    {
        if (!TryGet(field, required: true, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return Error<IReadOnlyList<string>>(field, $"'{Name(field)}' must be an array of budget keys.");
        }

        int count = value.GetArrayLength();
        if (count == 0 || count > MaxKeys)
        {
            return Error<IReadOnlyList<string>>(field, $"'{Name(field)}' must name 1 to {MaxKeys} budget keys; it names {count}.");
        }

        var keys = new List<string>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        bool valid = true;
        foreach (JsonElement item in value.EnumerateArray())
        {
            string at = $"{Name(field)}[{index}]";
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                _errors.Add(Name(field), $"'{at}' must be a non-blank string.");
                valid = false;
            }
            else if (item.GetString()!.Length > MaxIdLength)
            {
                _errors.Add(Name(field), $"'{at}' is longer than {MaxIdLength} characters.");
                valid = false;
            }
            else if (!seen.Add(item.GetString()!))
            {
                _errors.Add(Name(field), $"'{Name(field)}' names '{item.GetString()}' more than once.");
                valid = false;
            }
            else
            {
                keys.Add(item.GetString()!);
            }

            index++;
        }

        return valid ? keys : null;
    }

    /// <summary>Reads one of the names in <paramref name="names"/> (case-insensitive), or the default when absent or null.</summary>
    public T Enum<T>(string field, IReadOnlyDictionary<string, T> names, T defaultValue)
        where T : struct, System.Enum
    {
        if (!TryGet(field, required: false, out JsonElement value))
        {
            return defaultValue;
        }

        if (value.ValueKind == JsonValueKind.String && names.TryGetValue(value.GetString()!, out T parsed))
        {
            return parsed;
        }

        _errors.Add(Name(field), $"'{Name(field)}' must be one of {string.Join(", ", names.Keys)}; it is {value.GetRawText()}.");
        return defaultValue;
    }

    /// <summary>Reads alert thresholds: up to 16 positive numbers; absent or null is none.</summary>
    public IReadOnlyList<decimal>? Thresholds(string field)
    {
        if (!TryGet(field, required: false, out JsonElement value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return Error<IReadOnlyList<decimal>>(field, $"'{Name(field)}' must be an array of numbers.");
        }

        if (value.GetArrayLength() > BudgetDefinition.MaxAlertThresholds)
        {
            return Error<IReadOnlyList<decimal>>(field, $"'{Name(field)}' has {value.GetArrayLength()} thresholds; a budget can have at most {BudgetDefinition.MaxAlertThresholds}.");
        }

        var thresholds = new List<decimal>();
        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            string at = $"{Name(field)}[{index++}]";
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDecimal(out decimal threshold))
            {
                _errors.Add(Name(field), $"'{at}' must be a number.");
                return null;
            }

            if (threshold <= 0m || threshold > MaxThreshold)
            {
                _errors.Add(Name(field), $"'{at}' must be a fraction of the limit above 0 and at most {MaxThreshold}, for example 0.8; it is {Format(threshold)}.");
                return null;
            }

            thresholds.Add(threshold);
        }

        return thresholds;
    }

    /// <summary>Opens a nested object; <see langword="null"/> (with an error when required) when absent or not an object.</summary>
    public RequestObject? Object(string field, bool required)
    {
        if (!TryGet(field, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return Error<RequestObject>(field, $"'{Name(field)}' must be an object.");
        }

        return new RequestObject(value, Name(field), _errors);
    }

    /// <summary>Reads a property's raw value, or <see langword="null"/> when absent or JSON null (an error when required).</summary>
    public JsonElement? Raw(string field, bool required) => TryGet(field, required, out JsonElement value) ? value : null;

    /// <summary>Adds an error naming a field of this object.</summary>
    public void Fail(string field, string message) => _errors.Add(Name(field), message);

    /// <summary>Adds an error for every property not read (unknown) and every duplicate.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        foreach (string duplicate in _duplicates.Distinct(StringComparer.Ordinal))
        {
            _errors.Add(Name(duplicate), $"'{Name(duplicate)}' appears more than once.");
        }

        foreach (string name in _properties.Keys)
        {
            if (!_read.Contains(name))
            {
                _errors.Add(Name(name), $"'{Name(name)}' is not a known property.");
            }
        }
    }

    internal decimal? CheckMoney(string name, JsonElement value, string? field = null)
    {
        string key = field is null ? name : Name(field);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out decimal money))
        {
            _errors.Add(key, value.ValueKind == JsonValueKind.Number
                ? $"'{name}' is out of range; amounts are US dollars up to {Format(MaxMoney)}."
                : $"'{name}' must be a number (US dollars).");
            return null;
        }

        if (money < 0m)
        {
            _errors.Add(key, $"'{name}' must not be negative; it is {Format(money)}.");
            return null;
        }

        if (money > MaxMoney)
        {
            _errors.Add(key, $"'{name}' must not exceed {Format(MaxMoney)} US dollars.");
            return null;
        }

        return money;
    }

    /// <summary>Checks that a time lies between <see cref="MinTime"/> and <see cref="MaxTime"/>, adding an error otherwise.</summary>
    internal DateTimeOffset? CheckTime(string name, DateTimeOffset time, string field)
    {
        if (time >= MinTime && time <= MaxTime)
        {
            return time;
        }

        _errors.Add(Name(field), $"'{name}' must lie between 1970-01-01 and 9000-01-01 (UTC).");
        return null;
    }

    internal static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');

    private bool TryGet(string field, bool required, out JsonElement value)
    {
        _read.Add(field);
        if (_properties.TryGetValue(field, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        if (required)
        {
            _errors.Add(Name(field), $"'{Name(field)}' is required.");
        }

        return false;
    }

    private T? Error<T>(string field, string message)
    {
        _errors.Add(Name(field), message);
        return default;
    }
}
