using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetChat.Server.Http;

// The JSON shapes of docs/budget-service-api.md. Requests are read field by field (RequestObject) so that every
// error names its field; these request types describe them in the OpenAPI document and carry the parsed values.

internal sealed record BudgetDefinitionModel(decimal Limit, BudgetPeriod Period, BudgetWindowAlignment Alignment, IReadOnlyList<decimal> AlertThresholds)
{
    public static BudgetDefinitionModel From(BudgetDefinition definition) =>
        new(definition.Limit, definition.Period, definition.Alignment, definition.AlertThresholds);
}

internal sealed record BudgetModel(
    string Project,
    string Key,
    BudgetDefinitionModel Definition,
    DateTimeOffset WindowStart,
    DateTimeOffset? WindowEnd,
    decimal Spent,
    decimal Reserved,
    decimal Remaining,
    IReadOnlyDictionary<string, decimal> SpendByModel,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static BudgetModel From(BudgetState state) => new(
        state.Project,
        state.Key,
        BudgetDefinitionModel.From(state.Definition),
        state.WindowStart,
        state.WindowEnd,
        state.Spent,
        state.Reserved,
        state.Remaining,
        state.SpendByModel,
        state.CreatedAt,
        state.UpdatedAt);
}

internal sealed record BudgetListModel(IReadOnlyList<BudgetModel> Budgets);

internal sealed record SetBudgetRequest(BudgetDefinitionModel Definition, DateTimeOffset? CreatedAt);

internal sealed record ReserveRequest(string ReservationId, IReadOnlyList<string> Keys, decimal Amount, DateTimeOffset ExpiresAt);

internal sealed record ReserveResponse(BudgetReservationStatus Status, string? Key, BudgetModel? Budget);

internal sealed record SettleRequest(string ReservationId, decimal ActualCost, string? Model);

internal sealed record ReleaseRequest(string ReservationId);

internal sealed record ChargeRequest(string ChargeId, IReadOnlyList<string> Keys, decimal Amount, string? Model);

internal sealed record AlertModel(string Project, string Key, decimal Threshold, decimal Spent, decimal Limit, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd);

internal sealed record CompletionModel(BudgetCompletionStatus Status, IReadOnlyList<AlertModel> Alerts)
{
    public static CompletionModel From(BudgetCompletion completion) => new(
        completion.Status,
        [.. completion.Alerts.Select(a => new AlertModel(a.Project, a.Key, a.Threshold, a.Spent, a.Limit, a.WindowStart, a.WindowEnd))]);
}

internal sealed record SweepResponse(int RolledOver);

// ------------------------------------------------------------------ LiteLLM compatibility (snake_case, as LiteLLM)

internal sealed record LiteLlmProjectRequest([property: JsonPropertyName("project_name")] string ProjectName);

internal sealed record LiteLlmSetBudgetRequest(
    [property: JsonPropertyName("project_name")] string ProjectName,
    [property: JsonPropertyName("user_dict")] IReadOnlyDictionary<string, LiteLlmUserBudget> UserDict);

internal sealed record LiteLlmUserBudget(
    [property: JsonPropertyName("total_budget")] decimal TotalBudget,
    [property: JsonPropertyName("duration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Duration,
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

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BudgetModel))]
[JsonSerializable(typeof(BudgetListModel))]
[JsonSerializable(typeof(SetBudgetRequest))]
[JsonSerializable(typeof(BudgetDefinitionModel))]
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(ReserveResponse))]
[JsonSerializable(typeof(SettleRequest))]
[JsonSerializable(typeof(ReleaseRequest))]
[JsonSerializable(typeof(ChargeRequest))]
[JsonSerializable(typeof(CompletionModel))]
[JsonSerializable(typeof(SweepResponse))]
[JsonSerializable(typeof(LiteLlmProjectRequest))]
[JsonSerializable(typeof(LiteLlmSetBudgetRequest))]
[JsonSerializable(typeof(LiteLlmGetBudgetResponse))]
[JsonSerializable(typeof(LiteLlmStatusResponse))]
internal sealed partial class BudgetServerJsonContext : JsonSerializerContext;
