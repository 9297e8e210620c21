using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetChat.Http.Wire;

// The budget service's JSON (docs/budget-service-api.md). Wire types are separate from the public model so the
// contract cannot change by accident when a public type grows a property.
internal sealed record DefinitionDto(decimal Limit, BudgetPeriod Period, BudgetWindowAlignment Alignment, IReadOnlyList<decimal> AlertThresholds)
{
    public static DefinitionDto From(BudgetDefinition definition) =>
        new(definition.Limit, definition.Period, definition.Alignment, definition.AlertThresholds);

    public BudgetDefinition ToDefinition() => new(Limit, Period, Alignment, AlertThresholds);
}

internal sealed record BudgetDto(
    string Project,
    string Key,
    DefinitionDto Definition,
    DateTimeOffset WindowStart,
    DateTimeOffset? WindowEnd,
    decimal Spent,
    decimal Reserved,
    IReadOnlyDictionary<string, decimal>? SpendByModel,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static BudgetDto From(BudgetState budget) => new(
        budget.Project, budget.Key, DefinitionDto.From(budget.Definition), budget.WindowStart, budget.WindowEnd, budget.Spent, budget.Reserved,
        budget.SpendByModel, budget.CreatedAt, budget.UpdatedAt);

    public BudgetState ToState() => new()
    {
        Project = Project,
        Key = Key,
        Definition = Definition.ToDefinition(),
        WindowStart = WindowStart,
        WindowEnd = WindowEnd,
        Spent = Spent,
        Reserved = Reserved,
        SpendByModel = SpendByModel ?? new Dictionary<string, decimal>(),
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
    };
}

internal sealed record BudgetListDto(IReadOnlyList<BudgetDto> Budgets);

internal sealed record SetBudgetRequest(DefinitionDto Definition, DateTimeOffset? CreatedAt);

internal sealed record ReserveRequest(string ReservationId, IReadOnlyList<string> Keys, decimal Amount, DateTimeOffset ExpiresAt);

internal sealed record ReserveResponse(BudgetReservationStatus Status, string? Key, BudgetDto? Budget);

internal sealed record SettleRequest(string ReservationId, decimal ActualCost, string? Model);

internal sealed record ReleaseRequest(string ReservationId);

internal sealed record ChargeRequest(string ChargeId, IReadOnlyList<string> Keys, decimal Amount, string? Model);

internal sealed record AlertDto(string Project, string Key, decimal Threshold, decimal Spent, decimal Limit, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd)
{
    public BudgetAlert ToAlert() => new(Project, Key, Threshold, Spent, Limit, WindowStart, WindowEnd);
}

internal sealed record CompletionDto(BudgetCompletionStatus Status, IReadOnlyList<AlertDto>? Alerts)
{
    public BudgetCompletion ToCompletion() => Status switch
    {
        BudgetCompletionStatus.Completed => BudgetCompletion.CompletedWith(Alerts?.Select(a => a.ToAlert()).ToArray() ?? []),
        BudgetCompletionStatus.AlreadyCompleted => BudgetCompletion.AlreadyCompleted,
        _ => BudgetCompletion.NotFound,
    };
}

internal sealed record SweepResponse(int RolledOver);

internal sealed record ProblemDto(string? Title, string? Detail, int? Status, string? Key, IReadOnlyDictionary<string, string[]>? Errors);

internal sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where TEnum : struct, Enum;

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [
        typeof(CamelCaseEnumConverter<BudgetPeriod>),
        typeof(CamelCaseEnumConverter<BudgetWindowAlignment>),
        typeof(CamelCaseEnumConverter<BudgetReservationStatus>),
        typeof(CamelCaseEnumConverter<BudgetCompletionStatus>)])]
[JsonSerializable(typeof(BudgetDto))]
[JsonSerializable(typeof(BudgetListDto))]
[JsonSerializable(typeof(SetBudgetRequest))]
[JsonSerializable(typeof(DefinitionDto))]
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(ReserveResponse))]
[JsonSerializable(typeof(SettleRequest))]
[JsonSerializable(typeof(ReleaseRequest))]
[JsonSerializable(typeof(ChargeRequest))]
[JsonSerializable(typeof(CompletionDto))]
[JsonSerializable(typeof(SweepResponse))]
[JsonSerializable(typeof(ProblemDto))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
