using System.Text.Json.Serialization;

namespace BudgetChat.Http.Wire;

// The budget service's JSON (docs/budget-service-api.md), compiled into both BudgetChat.Http (the client) and
// BudgetChat.Server (linked from here), so the two sides cannot drift apart. Wire types are separate from the public
// model so that the contract cannot change by accident when a public type grows a property. A request's rules (ids,
// money, times, keys) are its properties' converters (WireConverters.cs): the server checks each value as it reads it.
// Optional members have a default; every other constructor parameter is required (RespectRequiredConstructorParameters).
// Requests refuse unknown members; responses do not, so a client keeps reading a newer server's answers.

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record DefinitionDto(
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal Limit,
    BudgetPeriod? Period = null,
    BudgetWindowAlignment? Alignment = null,
    [property: JsonConverter(typeof(WireThresholdsConverter))] IReadOnlyList<decimal>? AlertThresholds = null)
{
    public static DefinitionDto From(BudgetDefinition definition) =>
        new(definition.Limit, definition.Period, definition.Alignment, definition.AlertThresholds);

    // "null for an optional field is the same as leaving it out".
    public BudgetDefinition ToDefinition() =>
        new(Limit, Period ?? BudgetPeriod.None, Alignment ?? BudgetWindowAlignment.Calendar, AlertThresholds);
}

internal sealed record BudgetDto(
    string Project,
    string Key,
    DefinitionDto Definition,
    DateTimeOffset WindowStart,
    DateTimeOffset? WindowEnd,
    decimal Spent,
    decimal Reserved,
    IReadOnlyDictionary<string, decimal> SpendByModel,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    decimal? Remaining = null)
{
    public static BudgetDto From(BudgetState budget) => new(
        budget.Project, budget.Key, DefinitionDto.From(budget.Definition), budget.WindowStart, budget.WindowEnd, budget.Spent, budget.Reserved,
        budget.SpendByModel, budget.CreatedAt, budget.UpdatedAt, budget.Remaining);

    // Remaining is informative: the state computes its own.
    public BudgetState ToState() => new()
    {
        Project = Project,
        Key = Key,
        Definition = Definition.ToDefinition(),
        WindowStart = WindowStart,
        WindowEnd = WindowEnd,
        Spent = Spent,
        Reserved = Reserved,
        SpendByModel = SpendByModel,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
    };
}

internal sealed record BudgetListDto(IReadOnlyList<BudgetDto> Budgets);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SetBudgetRequest(
    DefinitionDto Definition,
    [property: JsonConverter(typeof(WireTimeConverter))] DateTimeOffset? CreatedAt = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ReserveRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ReservationId,
    [property: JsonConverter(typeof(WireKeysConverter))] IReadOnlyList<string> Keys,
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal Amount,
    [property: JsonConverter(typeof(WireTimeConverter))] DateTimeOffset ExpiresAt);

internal sealed record ReserveResponse(BudgetReservationStatus Status, string? Key = null, BudgetDto? Budget = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SettleRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ReservationId,
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal ActualCost,
    [property: JsonConverter(typeof(WireIdConverter))] string? Model = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ReleaseRequest([property: JsonConverter(typeof(WireIdConverter))] string ReservationId);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record RenewRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ReservationId,
    [property: JsonConverter(typeof(WireTimeConverter))] DateTimeOffset ExpiresAt);

internal sealed record RenewResponse(BudgetRenewalStatus Status);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ChargeRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ChargeId,
    [property: JsonConverter(typeof(WireKeysConverter))] IReadOnlyList<string> Keys,
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal Amount,
    [property: JsonConverter(typeof(WireIdConverter))] string? Model = null);

internal sealed record AlertDto(string Project, string Key, decimal Threshold, decimal Spent, decimal Limit, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd)
{
    public static AlertDto From(BudgetAlert alert) =>
        new(alert.Project, alert.Key, alert.Threshold, alert.Spent, alert.Limit, alert.WindowStart, alert.WindowEnd);

    public BudgetAlert ToAlert() => new(Project, Key, Threshold, Spent, Limit, WindowStart, WindowEnd);
}

internal sealed record CompletionDto(BudgetCompletionStatus Status, IReadOnlyList<AlertDto>? Alerts = null)
{
    public static CompletionDto From(BudgetCompletion completion) => new(completion.Status, [.. completion.Alerts.Select(AlertDto.From)]);

    public BudgetCompletion ToCompletion() => Status switch
    {
        BudgetCompletionStatus.Completed => BudgetCompletion.CompletedWith(Alerts?.Select(a => a.ToAlert()).ToArray() ?? []),
        BudgetCompletionStatus.AlreadyCompleted => BudgetCompletion.AlreadyCompleted,
        BudgetCompletionStatus.Conflict => BudgetCompletion.Conflicting(BudgetConflict.Ended),
        _ => BudgetCompletion.NotFound,
    };
}

internal sealed record SweepResponse(int RolledOver);

// What the client reads of the server's ProblemDetails; Conflict is the extension of a 409 (what the id is used for).
internal sealed record ProblemDto(
    string? Title = null,
    string? Detail = null,
    int? Status = null,
    string? Key = null,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    BudgetConflict? Conflict = null);
