using BudgetChat.LiteLlm;
using System.Text.Json;
using System.Text.Json.Serialization;
using BudgetChat.Http.Wire;

namespace BudgetChat.Server.Http;

// LiteLLM's hosted BudgetManager JSON (snake_case, as LiteLLM). Its client sends exactly these members: the body of
// /get_budget is {"project_name"} and that of /set_budget {"project_name", "user_dict"}, whose entries are what its
// BudgetManager keeps (total_budget, duration, created_at, last_updated_at, current_cost, model_cost), all but
// total_budget optional; an unknown member in an entry is a typo we refuse rather than drop.

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record LiteLlmProjectRequest([property: JsonPropertyName("project_name")] string ProjectName);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record LiteLlmSetBudgetRequest(
    [property: JsonPropertyName("project_name")] string ProjectName,
    [property: JsonPropertyName("user_dict")] IReadOnlyDictionary<string, LiteLlmUserEntry> UserDict);

/// <summary>One user of a <c>user_dict</c> sent to <c>/set_budget</c>; money is read as <see cref="decimal"/> (every decimal of this context).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record LiteLlmUserEntry(
    [property: JsonPropertyName("total_budget")] decimal TotalBudget,
    [property: JsonPropertyName("duration"), JsonConverter(typeof(LiteLlmDurationConverter))] LiteLlmDuration? Duration = null,
    [property: JsonPropertyName("created_at"), JsonConverter(typeof(LiteLlmTimeConverter))] DateTimeOffset? CreatedAt = null,
    [property: JsonPropertyName("last_updated_at"), JsonConverter(typeof(LiteLlmTimeConverter))] DateTimeOffset? LastUpdatedAt = null,
    [property: JsonPropertyName("current_cost")] decimal? CurrentCost = null,
    [property: JsonPropertyName("model_cost")] IReadOnlyDictionary<string, decimal>? ModelCost = null);

/// <summary>One user of the <c>data</c> that <c>/get_budget</c> answers.</summary>
internal sealed record LiteLlmUserBudget(
    [property: JsonPropertyName("total_budget")] decimal TotalBudget,
    [property: JsonPropertyName("duration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? Duration,
    [property: JsonPropertyName("created_at")] decimal? CreatedAt,
    [property: JsonPropertyName("last_updated_at")] decimal? LastUpdatedAt,
    [property: JsonPropertyName("current_cost")] decimal CurrentCost,
    [property: JsonPropertyName("model_cost")] IReadOnlyDictionary<string, decimal> ModelCost);

internal sealed record LiteLlmGetBudgetResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("data")] IReadOnlyDictionary<string, LiteLlmUserBudget> Data);

internal sealed record LiteLlmStatusResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message);

/// <summary>A <c>duration</c> read: the period, and the days LiteLLM's reset rule counts (a name counts LiteLLM's days).</summary>
internal readonly record struct LiteLlmDuration(BudgetPeriod Period, decimal Days);

/// <summary>LiteLLM's <c>duration</c>: a number of days (1, 7, 28 to 31, 365 or 366, or 1/24 or 1/1440 of a day) or a period's name; <c>null</c> is none.</summary>
internal sealed class LiteLlmDurationConverter : JsonConverter<LiteLlmDuration?>
{
    public override bool HandleNull => true;

    public override LiteLlmDuration? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String when Named(reader.GetString()!) is { } named:
                return new LiteLlmDuration(named, LiteLlmUserDict.DurationDays(named));
            case JsonTokenType.Number when reader.TryGetDecimal(out decimal days) && LiteLlmUserDict.PeriodOfDays(days) is { } period:
                return new LiteLlmDuration(period, days);
            default:
                string raw = reader.TokenType == JsonTokenType.String ? $"\"{reader.GetString()}\"" : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                throw new WireValueException($"must be LiteLLM's number of days (1, 7, 28 to 31 whole days, 365 or 366; 1/24 or 1/1440 of a day for an hour or a minute) or one of daily, weekly, monthly, yearly; it is {raw}.");
        }
    }

    private static BudgetPeriod? Named(string name) => name.ToUpperInvariant() switch
    {
        "DAILY" => BudgetPeriod.Daily,
        "WEEKLY" => BudgetPeriod.Weekly,
        "MONTHLY" => BudgetPeriod.Monthly,
        "YEARLY" => BudgetPeriod.Yearly,
        _ => null,
    };

    public override void Write(Utf8JsonWriter writer, LiteLlmDuration? value, JsonSerializerOptions options)
    {
        if (value is { } duration && duration.Period != BudgetPeriod.None)
        {
            writer.WriteNumberValue(duration.Days);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>A LiteLLM time: Unix seconds (fractional), from 1970 to 9000; <c>null</c> is none.</summary>
internal sealed class LiteLlmTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        // Before 1970 is a time, but not one the service takes: CheckTime says so.
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out decimal seconds) && LiteLlmUserDict.FromUnixSeconds(seconds) is { } time
            ? WireLimits.CheckTime(time)
            : throw new WireValueException("must be a time in Unix seconds.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } time)
        {
            writer.WriteNumberValue(LiteLlmUserDict.ToUnixSeconds(time));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>The serializer context of LiteLLM's routes: as strict as the wire's, and every amount is money.</summary>
[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(WireMoneyConverter)])]
[JsonSerializable(typeof(LiteLlmProjectRequest))]
[JsonSerializable(typeof(LiteLlmSetBudgetRequest))]
[JsonSerializable(typeof(LiteLlmGetBudgetResponse))]
[JsonSerializable(typeof(LiteLlmStatusResponse))]
internal sealed partial class LiteLlmJsonContext : JsonSerializerContext;
