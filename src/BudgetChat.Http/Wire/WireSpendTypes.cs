using System.Text.Json.Serialization;

namespace BudgetChat.Http.Wire;

// The spend ledger's JSON (docs/budget-service-api.md, "Spend ledger"), compiled into the client and the server as the
// rest of the contract. A call's details travel with its settle or charge (SettleRequest.Record, ChargeRequest.Record)
// so that the service's store writes its record in the same transaction as the charge; refused and released calls are
// appended on their own (AppendSpendRequest); records and groups are read back with GET .../spend.

// What a settle or charge says of its call (BudgetUsage.Record), without what the store fills in itself (id, time,
// keys, cost, tokens, model, held). Every member is optional; the outcome of a charge is charged (the default) or
// estimated. Not part of the idempotency comparison: a retried settle with other details is still a retry.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SpendDetailsDto
{
    [JsonConstructor]
    public SpendDetailsDto(
        string? user = null,
        string? requestedModel = null,
        long? inputTokens = null,
        long? cachedInputTokens = null,
        long? outputTokens = null,
        long? reasoningTokens = null,
        BudgetSpendOutcome? outcome = null,
        BudgetSpendMarks? marks = null,
        string? reason = null,
        string? refusedKey = null,
        string? refusedWindow = null,
        int? maxOutputTokens = null,
        TimeSpan? durationMs = null,
        string? traceId = null)
    {
        User = user;
        RequestedModel = requestedModel;
        InputTokens = inputTokens;
        CachedInputTokens = cachedInputTokens;
        OutputTokens = outputTokens;
        ReasoningTokens = reasoningTokens;
        Outcome = outcome;
        Marks = marks;
        Reason = reason;
        RefusedKey = refusedKey;
        RefusedWindow = refusedWindow;
        MaxOutputTokens = maxOutputTokens;
        DurationMs = durationMs;
        TraceId = traceId;
    }

    /// <summary>Gets the user the call was made for.</summary>
    [JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? User { get; }

    /// <summary>Gets the model the caller asked for (the one that answered is the settle's <c>model</c>).</summary>
    [JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestedModel { get; }

    /// <summary>Gets the input tokens the provider reported.</summary>
    [JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? InputTokens { get; }

    /// <summary>Gets the input tokens read from the provider's prompt cache.</summary>
    [JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CachedInputTokens { get; }

    /// <summary>Gets the output tokens.</summary>
    [JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? OutputTokens { get; }

    /// <summary>Gets the output tokens spent on reasoning.</summary>
    [JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ReasoningTokens { get; }

    /// <summary>Gets <c>charged</c> (the default) or <c>estimated</c> (no usage was reported; <c>reason</c> says why).</summary>
    [JsonConverter(typeof(WireChargedOutcomeConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BudgetSpendOutcome? Outcome { get; }

    /// <summary>Gets what else happened: <c>reduced</c>, <c>downgraded</c>, <c>would_refuse</c>.</summary>
    [JsonConverter(typeof(WireSpendMarksConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BudgetSpendMarks? Marks { get; }

    /// <summary>Gets why an estimate was charged, or a refusal observed in words.</summary>
    [JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; }

    /// <summary>Gets the key whose budget would have refused the call (observe mode).</summary>
    [JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RefusedKey { get; }

    /// <summary>Gets the limit that would have refused the call (observe mode).</summary>
    [JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RefusedWindow { get; }

    /// <summary>Gets the <c>MaxOutputTokens</c> sent when it was lowered to fit.</summary>
    [JsonConverter(typeof(WirePositiveCountConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxOutputTokens { get; }

    /// <summary>Gets how long the call took, in milliseconds.</summary>
    [JsonConverter(typeof(WireMillisecondsConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TimeSpan? DurationMs { get; }

    /// <summary>Gets the W3C trace id of the call.</summary>
    [JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; }

    public static SpendDetailsDto? From(BudgetSpendRecord? record) => record is null ? null : new(
        record.User, record.RequestedModel, record.InputTokens, record.CachedInputTokens, record.OutputTokens, record.ReasoningTokens,
        record.Outcome == BudgetSpendOutcome.Charged ? null : record.Outcome, record.Marks == BudgetSpendMarks.None ? null : record.Marks,
        record.Reason, record.RefusedKey, record.RefusedWindow, record.MaxOutputTokens, record.Duration, record.TraceId);

    public BudgetSpendRecord ToRecord() => new()
    {
        User = User,
        RequestedModel = RequestedModel,
        InputTokens = InputTokens,
        CachedInputTokens = CachedInputTokens,
        OutputTokens = OutputTokens,
        ReasoningTokens = ReasoningTokens,
        Outcome = Outcome ?? BudgetSpendOutcome.Charged,
        Marks = Marks ?? BudgetSpendMarks.None,
        Reason = Reason,
        RefusedKey = RefusedKey,
        RefusedWindow = RefusedWindow,
        MaxOutputTokens = MaxOutputTokens,
        Duration = DurationMs,
        TraceId = TraceId,
    };
}

// POST .../spend: the record of a call that changed no spend, refused or released (IBudgetSpendLog.AppendSpendAsync).
// The service assigns its sequence, and its time when it is left out; its cost is 0, so there is none to send.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record AppendSpendRequest(
    [property: JsonConverter(typeof(WireKeysConverter))] IReadOnlyList<string> Keys,
    [property: JsonConverter(typeof(WireAppendedOutcomeConverter))] BudgetSpendOutcome Outcome,
    [property: JsonConverter(typeof(WireIdConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id = null,
    [property: JsonConverter(typeof(WireTimeConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Time = null,
    [property: JsonConverter(typeof(WireIdConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Model = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Tokens = null,
    [property: JsonConverter(typeof(WireMoneyConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? Held = null,
    [property: JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? User = null,
    [property: JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestedModel = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? InputTokens = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CachedInputTokens = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? OutputTokens = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ReasoningTokens = null,
    [property: JsonConverter(typeof(WireSpendMarksConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BudgetSpendMarks? Marks = null,
    [property: JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null,
    [property: JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefusedKey = null,
    [property: JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefusedWindow = null,
    [property: JsonConverter(typeof(WirePositiveCountConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxOutputTokens = null,
    [property: JsonConverter(typeof(WireMillisecondsConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TimeSpan? DurationMs = null,
    [property: JsonConverter(typeof(WireRecordTextConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceId = null)
{
    public static AppendSpendRequest From(BudgetSpendRecord record) => new(
        record.Keys, record.Outcome, record.Id, record.Time == default ? null : record.Time, record.Model, record.Tokens == 0 ? null : record.Tokens,
        record.Held == 0m ? null : record.Held, record.User, record.RequestedModel, record.InputTokens, record.CachedInputTokens, record.OutputTokens,
        record.ReasoningTokens, record.Marks == BudgetSpendMarks.None ? null : record.Marks, record.Reason, record.RefusedKey, record.RefusedWindow,
        record.MaxOutputTokens, record.Duration, record.TraceId);

    public BudgetSpendRecord ToRecord() => new()
    {
        Id = Id,
        Time = Time ?? default,
        Keys = Keys,
        Model = Model,
        Tokens = Tokens ?? 0,
        Held = Held ?? 0m,
        Outcome = Outcome,
        User = User,
        RequestedModel = RequestedModel,
        InputTokens = InputTokens,
        CachedInputTokens = CachedInputTokens,
        OutputTokens = OutputTokens,
        ReasoningTokens = ReasoningTokens,
        Marks = Marks ?? BudgetSpendMarks.None,
        Reason = Reason,
        RefusedKey = RefusedKey,
        RefusedWindow = RefusedWindow,
        MaxOutputTokens = MaxOutputTokens,
        Duration = DurationMs,
        TraceId = TraceId,
    };
}

// One record as GET .../spend answers it: every member, null where the record has nothing.
internal sealed record SpendRecordDto(
    long Sequence,
    string? Id,
    DateTimeOffset Time,
    IReadOnlyList<string> Keys,
    string? User,
    string? RequestedModel,
    string? Model,
    long? InputTokens,
    long? CachedInputTokens,
    long? OutputTokens,
    long? ReasoningTokens,
    long Tokens,
    decimal Cost,
    decimal Held,
    [property: JsonConverter(typeof(WireSpendOutcomeConverter))] BudgetSpendOutcome Outcome,
    [property: JsonConverter(typeof(WireSpendMarksConverter))] BudgetSpendMarks Marks,
    string? Reason,
    string? RefusedKey,
    string? RefusedWindow,
    int? MaxOutputTokens,
    [property: JsonConverter(typeof(WireMillisecondsConverter))] TimeSpan? DurationMs,
    string? TraceId,
    decimal? SpentAfter)
{
    public static SpendRecordDto From(BudgetSpendRecord r) => new(
        r.Sequence, r.Id, r.Time, r.Keys, r.User, r.RequestedModel, r.Model, r.InputTokens, r.CachedInputTokens, r.OutputTokens, r.ReasoningTokens,
        r.Tokens, r.Cost, r.Held, r.Outcome, r.Marks, r.Reason, r.RefusedKey, r.RefusedWindow, r.MaxOutputTokens, r.Duration, r.TraceId, r.SpentAfter);

    public BudgetSpendRecord ToRecord() => new()
    {
        Sequence = Sequence,
        Id = Id,
        Time = Time,
        Keys = Keys,
        User = User,
        RequestedModel = RequestedModel,
        Model = Model,
        InputTokens = InputTokens,
        CachedInputTokens = CachedInputTokens,
        OutputTokens = OutputTokens,
        ReasoningTokens = ReasoningTokens,
        Tokens = Tokens,
        Cost = Cost,
        Held = Held,
        Outcome = Outcome,
        Marks = Marks,
        Reason = Reason,
        RefusedKey = RefusedKey,
        RefusedWindow = RefusedWindow,
        MaxOutputTokens = MaxOutputTokens,
        Duration = DurationMs,
        TraceId = TraceId,
        SpentAfter = SpentAfter,
    };
}

// A page of records; next is the sequence to pass as 'before' (newest first) or 'after' (oldest first), null on the last page.
internal sealed record SpendPageDto(IReadOnlyList<SpendRecordDto> Records, long? Next)
{
    public static SpendPageDto From(BudgetSpendPage page) => new([.. page.Records.Select(SpendRecordDto.From)], page.Next);

    public BudgetSpendPage ToPage() => new([.. Records.Select(r => r.ToRecord())], Next);
}

// The totals of the records that share a value of the grouping (null: records without one, and groupBy=none).
internal sealed record SpendGroupDto(string? Value, long Calls, long Refused, decimal Cost, long Tokens, long InputTokens, long OutputTokens)
{
    public static SpendGroupDto From(BudgetSpendGroup g) => new(g.Value, g.Calls, g.Refused, g.Cost, g.Tokens, g.InputTokens, g.OutputTokens);

    public BudgetSpendGroup ToGroup() => new()
    {
        Value = Value,
        Calls = Calls,
        Refused = Refused,
        Cost = Cost,
        Tokens = Tokens,
        InputTokens = InputTokens,
        OutputTokens = OutputTokens,
    };
}

internal sealed record SpendGroupsDto(IReadOnlyList<SpendGroupDto> Groups);

/// <summary>The query parameters of <c>GET /v1/projects/{project}/spend</c>, by name, for the client that writes them and the service that reads them.</summary>
internal static class SpendQueryNames
{
    public const string From = "from";
    public const string To = "to";
    public const string User = "user";
    public const string Key = "key";
    public const string Model = "model";
    public const string Outcome = "outcome";
    public const string GroupBy = "groupBy";
    public const string Limit = "limit";
    public const string Before = "before";
    public const string After = "after";
    public const string Order = "order";
    public const string Format = "format";
    public const string Top = "top";

    public static readonly string[] All = [From, To, User, Key, Model, Outcome, GroupBy, Limit, Before, After, Order, Format, Top];
}
