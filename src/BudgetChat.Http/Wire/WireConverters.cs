using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetChat.Http.Wire;

/// <summary>The limits of the wire contract (docs/budget-service-api.md), the same on both sides.</summary>
internal static class WireLimits
{
    /// <summary>The longest key, reservation id, charge id or model id accepted.</summary>
    public const int MaxIdLength = 256;

    /// <summary>The most keys one reservation or charge may name.</summary>
    public const int MaxKeys = 16;

    /// <summary>The largest amount of money accepted anywhere, in US dollars: far beyond any budget, far from overflow.</summary>
    public const decimal MaxMoney = BudgetChat.Stores.BudgetAmounts.Max;

    /// <summary>The largest alert threshold accepted (a fraction of the limit): the library's own rule.</summary>
    public const decimal MaxThreshold = BudgetDefinition.MaxAlertThreshold;

    /// <summary>The earliest time accepted.</summary>
    public static readonly DateTimeOffset MinTime = DateTimeOffset.UnixEpoch;

    /// <summary>The latest time accepted: far enough from <see cref="DateTimeOffset.MaxValue"/> for any window arithmetic.</summary>
    public static readonly DateTimeOffset MaxTime = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Checks an amount of money, throwing <see cref="WireValueException"/> when it is out of range.</summary>
    public static decimal CheckMoney(decimal money) =>
        money < 0m ? throw new WireValueException($"must not be negative; it is {Format(money)}.")
        : money > MaxMoney ? throw new WireValueException($"must not exceed {Format(MaxMoney)} US dollars.")
        : money == 0m ? 0m // negative zero is zero
        : money;

    /// <summary>Checks a time, throwing <see cref="WireValueException"/> when it is out of range.</summary>
    public static DateTimeOffset CheckTime(DateTimeOffset time) =>
        time >= MinTime && time <= MaxTime ? time : throw new WireValueException("must lie between 1970-01-01 and 9000-01-01 (UTC).");
}

/// <summary>
/// A value the contract does not allow. The message says what is wrong without naming the field ("must not be
/// negative; it is -1."): whoever reads the request puts the field's name in front.
/// </summary>
internal sealed class WireValueException(string problem) : JsonException(problem);

/// <summary>Money: a JSON number read as <see cref="decimal"/>, from 0 to <see cref="WireLimits.MaxMoney"/>.</summary>
internal sealed class WireMoneyConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new WireValueException("must be a number (US dollars).");
        }

        return reader.TryGetDecimal(out decimal money)
            ? WireLimits.CheckMoney(money)
            : throw new WireValueException($"is out of range; amounts are US dollars up to {WireLimits.Format(WireLimits.MaxMoney)}.");
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>An id (reservation, charge, model): a non-blank string of at most <see cref="WireLimits.MaxIdLength"/> characters.</summary>
internal sealed class WireIdConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string id = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new WireValueException("must be a string.");
        return string.IsNullOrWhiteSpace(id) ? throw new WireValueException("must not be blank.")
            : id.Length > WireLimits.MaxIdLength ? throw new WireValueException($"is longer than {WireLimits.MaxIdLength} characters.")
            : id;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>A time: ISO 8601 that states its offset (<c>Z</c> or <c>+01:00</c>), from 1970 to 9000.</summary>
internal sealed class WireTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out DateTimeOffset time) && HasOffset(reader.GetString()!))
        {
            return WireLimits.CheckTime(time);
        }

        throw new WireValueException("must be an ISO 8601 time with an offset, for example \"2026-03-10T12:00:00+00:00\".");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
}

/// <summary>The keys of a reservation or charge: 1 to <see cref="WireLimits.MaxKeys"/> distinct ids.</summary>
internal sealed class WireKeysConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new WireValueException("must be an array of budget keys.");
        }

        var keys = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string at = $"item {keys.Count}";
            string? key = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new WireValueException($"{at} must be a non-blank string.");
            }

            if (key.Length > WireLimits.MaxIdLength)
            {
                throw new WireValueException($"{at} is longer than {WireLimits.MaxIdLength} characters.");
            }

            if (keys.Contains(key, StringComparer.Ordinal))
            {
                throw new WireValueException($"names '{key}' more than once.");
            }

            keys.Add(key);
        }

        return keys.Count is 0 or > WireLimits.MaxKeys
            ? throw new WireValueException($"must name 1 to {WireLimits.MaxKeys} budget keys; it names {keys.Count}.")
            : keys;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (string key in value)
        {
            writer.WriteStringValue(key);
        }

        writer.WriteEndArray();
    }
}

/// <summary>Alert thresholds: up to <see cref="BudgetDefinition.MaxAlertThresholds"/> fractions of the limit, each above 0 and at most <see cref="WireLimits.MaxThreshold"/>.</summary>
internal sealed class WireThresholdsConverter : JsonConverter<IReadOnlyList<decimal>>
{
    public override IReadOnlyList<decimal> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new WireValueException("must be an array of numbers.");
        }

        var thresholds = new List<decimal>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string at = $"item {thresholds.Count}";
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out decimal threshold))
            {
                throw new WireValueException($"{at} must be a number.");
            }

            if (threshold <= 0m || threshold > WireLimits.MaxThreshold)
            {
                throw new WireValueException($"{at} must be a fraction of the limit above 0 and at most {WireLimits.Format(WireLimits.MaxThreshold)}, for example 0.8; it is {WireLimits.Format(threshold)}.");
            }

            thresholds.Add(threshold);
        }

        return thresholds.Count > BudgetDefinition.MaxAlertThresholds
            ? throw new WireValueException($"has {thresholds.Count} thresholds; a budget can have at most {BudgetDefinition.MaxAlertThresholds}.")
            : thresholds;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<decimal> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (decimal threshold in value)
        {
            writer.WriteNumberValue(threshold);
        }

        writer.WriteEndArray();
    }
}

/// <summary>An enum as its camelCase name, never as a number; read without regard to case.</summary>
internal sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where TEnum : struct, Enum;
