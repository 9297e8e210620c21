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

    /// <summary>Says what is wrong with a limit's name or a model pattern, or <see langword="null"/> when nothing is.</summary>
    public static string? CheckName(string name) =>
        string.IsNullOrWhiteSpace(name) ? "must not be blank."
        : name.Length > BudgetLimit.MaxNameLength ? $"is longer than {BudgetLimit.MaxNameLength} characters."
        : name.Trim().Length != name.Length ? $"is '{name}', which has leading or trailing white space."
        : null;

    /// <summary>Checks a time, throwing <see cref="WireValueException"/> when it is out of range.</summary>
    public static DateTimeOffset CheckTime(DateTimeOffset time) =>
        time >= MinTime && time <= MaxTime ? time : throw new WireValueException("must lie between 1970-01-01 and 9000-01-01 (UTC).");
}

/// <summary>
/// A value the contract does not allow. The message says what is wrong without naming the field ("must not be
/// negative; it is -1."): whoever reads the request puts the field's name in front, followed by <see cref="At"/>.
/// </summary>
/// <param name="problem">What is wrong.</param>
/// <param name="at">
/// Where within the value: an item of an array (<c>[2]</c>) or a member of an object (<c>.name</c>,
/// <c>.limits[1].name</c>), for the rules of a collection or between members; <see langword="null"/> for the value itself.
/// </param>
internal sealed class WireValueException(string problem, string? at = null) : JsonException(problem)
{
    /// <summary>Gets where within the value the problem is, or <see langword="null"/> for the value itself.</summary>
    public string? At { get; } = at;
}

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

/// <summary>The amount of a limit: dollars, or a whole number of tokens or requests (which its limit checks), from 0 to <see cref="WireLimits.MaxMoney"/>.</summary>
internal sealed class WireAmountConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new WireValueException("must be a number (dollars, tokens or requests).");
        }

        if (!reader.TryGetDecimal(out decimal amount) || amount > WireLimits.MaxMoney)
        {
            throw new WireValueException($"must not exceed {WireLimits.Format(WireLimits.MaxMoney)}.");
        }

        return amount < 0m ? throw new WireValueException($"must not be negative; it is {WireLimits.Format(amount)}.")
            : amount == 0m ? 0m // negative zero is zero
            : amount;
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>Tokens: a JSON number that is a whole number, from 0 to <see cref="BudgetUsage.MaxTokens"/> (<c>1e3</c> and <c>1000.0</c> are 1000).</summary>
internal sealed class WireTokensConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new WireValueException("must be a whole number of tokens.");
        }

        if (!reader.TryGetDecimal(out decimal tokens) || tokens < 0m || tokens > BudgetUsage.MaxTokens)
        {
            throw new WireValueException($"must be from 0 to {BudgetUsage.MaxTokens} tokens.");
        }

        return tokens == decimal.Truncate(tokens)
            ? (long)tokens
            : throw new WireValueException($"must be a whole number of tokens; it is {WireLimits.Format(tokens)}.");
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>A limit's name: 1 to <see cref="BudgetLimit.MaxNameLength"/> characters without leading or trailing white space.</summary>
internal sealed class WireLimitNameConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string name = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new WireValueException("must be a string.");
        return WireLimits.CheckName(name) is { } problem ? throw new WireValueException(problem) : name;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>
/// The models of a limit: up to <see cref="BudgetLimit.MaxModels"/> patterns (without regard to case), each an exact
/// model id or a prefix ending in <c>*</c>, as a limit's name is written.
/// </summary>
internal sealed class WireModelsConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new WireValueException("must be an array of model ids or prefixes ending in '*'.");
        }

        var models = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string at = $"[{models.Count}]";
            string model = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new WireValueException("must be a string.", at);
            if (WireLimits.CheckName(model) is { } problem)
            {
                throw new WireValueException(problem, at);
            }

            int star = model.IndexOf('*', StringComparison.Ordinal);
            if (star >= 0 && (star != model.Length - 1 || model.Length == 1))
            {
                throw new WireValueException($"is '{model}', which has a '*' other than at its end after a prefix; a pattern is an exact model id or a prefix such as 'claude-opus-*'.", at);
            }

            models.Add(model);
        }

        int distinct = models.Distinct(StringComparer.OrdinalIgnoreCase).Count();
        return distinct > BudgetLimit.MaxModels
            ? throw new WireValueException($"names {distinct} models; a limit can name at most {BudgetLimit.MaxModels}.")
            : models;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (string model in value)
        {
            writer.WriteStringValue(model);
        }

        writer.WriteEndArray();
    }
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

/// <summary>
/// A text of a spend record (user, requested model, reason, refused key or window, trace id): a non-blank string of at
/// most <see cref="BudgetChat.Stores.BudgetStoreArguments.MaxRecordText"/> characters.
/// </summary>
internal sealed class WireRecordTextConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new WireValueException("must be a string.");
        return string.IsNullOrWhiteSpace(text) ? throw new WireValueException("must not be blank (leave it out instead).")
            : text.Length > BudgetChat.Stores.BudgetStoreArguments.MaxRecordText ? throw new WireValueException($"is longer than {BudgetChat.Stores.BudgetStoreArguments.MaxRecordText} characters.")
            : text;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>How a call ended, by its name in <see cref="BudgetChat.Stores.BudgetSpendNames"/> (<c>charged</c>, <c>refused</c>, ...), read without regard to case.</summary>
internal class WireSpendOutcomeConverter : JsonConverter<BudgetSpendOutcome>
{
    private readonly BudgetSpendOutcome[] _allowed;
    private readonly string _why;

    public WireSpendOutcomeConverter()
        : this(Enum.GetValues<BudgetSpendOutcome>(), string.Empty)
    {
    }

    protected WireSpendOutcomeConverter(BudgetSpendOutcome[] allowed, string why)
    {
        _allowed = allowed;
        _why = why;
    }

    public override BudgetSpendOutcome Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string names = string.Join(", ", _allowed.Select(BudgetChat.Stores.BudgetSpendNames.ToName));
        if (reader.TokenType != JsonTokenType.String || !BudgetChat.Stores.BudgetSpendNames.TryParseOutcome(reader.GetString(), out BudgetSpendOutcome outcome))
        {
            throw new WireValueException($"must be one of {names}.");
        }

        return _allowed.Contains(outcome)
            ? outcome
            : throw new WireValueException($"is '{BudgetChat.Stores.BudgetSpendNames.ToName(outcome)}'; it must be one of {names}{_why}.");
    }

    public override void Write(Utf8JsonWriter writer, BudgetSpendOutcome value, JsonSerializerOptions options) =>
        writer.WriteStringValue(BudgetChat.Stores.BudgetSpendNames.ToName(value));
}

/// <summary>The outcome of a settled or charged call: <c>charged</c> or <c>estimated</c>.</summary>
internal sealed class WireChargedOutcomeConverter() : WireSpendOutcomeConverter(
    [BudgetSpendOutcome.Charged, BudgetSpendOutcome.Estimated], " (refused and released calls are appended with POST .../spend)");

/// <summary>The outcome of an appended call, which changed no spend: <c>refused</c> or <c>released</c>.</summary>
internal sealed class WireAppendedOutcomeConverter() : WireSpendOutcomeConverter(
    [BudgetSpendOutcome.Refused, BudgetSpendOutcome.Released], " (a charged or estimated record is written with its settle or charge)");

/// <summary>What else happened to a call: an array of mark names (<c>reduced</c>, <c>downgraded</c>, <c>would_refuse</c>), each at most once.</summary>
internal sealed class WireSpendMarksConverter : JsonConverter<BudgetSpendMarks>
{
    public override BudgetSpendMarks Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new WireValueException("must be an array of mark names (reduced, downgraded, would_refuse).");
        }

        BudgetSpendMarks marks = BudgetSpendMarks.None;
        int index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string at = $"[{index++}]";
            if (reader.TokenType != JsonTokenType.String || !BudgetChat.Stores.BudgetSpendNames.TryParseMark(reader.GetString(), out BudgetSpendMarks mark))
            {
                throw new WireValueException("must be one of reduced, downgraded, would_refuse.", at);
            }

            if ((marks & mark) != 0)
            {
                throw new WireValueException($"names '{BudgetChat.Stores.BudgetSpendNames.ToNames(mark)}' more than once.");
            }

            marks |= mark;
        }

        return marks;
    }

    public override void Write(Utf8JsonWriter writer, BudgetSpendMarks value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (string name in BudgetChat.Stores.BudgetSpendNames.ToNames(value).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
    }
}

/// <summary>A duration as a JSON number of milliseconds (fractions to the tick, 0.0001 ms), from 0 to <see cref="MaxMilliseconds"/>.</summary>
internal sealed class WireMillisecondsConverter : JsonConverter<TimeSpan>
{
    /// <summary>The longest duration accepted, in milliseconds (about 31 years).</summary>
    public const decimal MaxMilliseconds = 1_000_000_000_000m;

    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out decimal ms) || ms < 0m || ms > MaxMilliseconds)
        {
            throw new WireValueException($"must be a number of milliseconds from 0 to {WireLimits.Format(MaxMilliseconds)}.");
        }

        return TimeSpan.FromTicks((long)decimal.Round(ms * TimeSpan.TicksPerMillisecond, MidpointRounding.ToEven));
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) => writer.WriteNumberValue(ToMilliseconds(value));

    /// <summary>The duration in milliseconds, exactly (to the tick).</summary>
    public static decimal ToMilliseconds(TimeSpan value) => (decimal)value.Ticks / TimeSpan.TicksPerMillisecond;
}

/// <summary>A count that is at least 1 (<c>maxOutputTokens</c>): a whole JSON number from 1 to <see cref="int.MaxValue"/>.</summary>
internal sealed class WirePositiveCountConverter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out decimal count) || count < 1m || count > int.MaxValue || count != decimal.Truncate(count))
        {
            throw new WireValueException($"must be a whole number from 1 to {int.MaxValue}.");
        }

        return (int)count;
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
