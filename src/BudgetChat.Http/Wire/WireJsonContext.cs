using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetChat.Http.Wire;

/// <summary>
/// The one serializer context of the wire contract, for the client and the server. Strict: names are matched
/// exactly (camelCase), a property may appear once, every member without a default is required, <c>null</c> only
/// where the type allows it, numbers are never read from strings.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [
        typeof(CamelCaseEnumConverter<BudgetPeriod>),
        typeof(CamelCaseEnumConverter<BudgetWindowAlignment>),
        typeof(CamelCaseEnumConverter<BudgetUnit>),
        typeof(CamelCaseEnumConverter<BudgetEnforcement>),
        typeof(CamelCaseEnumConverter<BudgetReservationStatus>),
        typeof(CamelCaseEnumConverter<BudgetCompletionStatus>),
        typeof(CamelCaseEnumConverter<BudgetRenewalStatus>),
        typeof(CamelCaseEnumConverter<BudgetConflict>)])]
[JsonSerializable(typeof(BudgetDto))]
[JsonSerializable(typeof(BudgetListDto))]
[JsonSerializable(typeof(SetBudgetRequest))]
[JsonSerializable(typeof(DefinitionDto))]
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(ReserveResponse))]
[JsonSerializable(typeof(SettleRequest))]
[JsonSerializable(typeof(ReleaseRequest))]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(RenewResponse))]
[JsonSerializable(typeof(ChargeRequest))]
[JsonSerializable(typeof(CompletionDto))]
[JsonSerializable(typeof(SweepResponse))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(SpendDetailsDto))]
[JsonSerializable(typeof(AppendSpendRequest))]
[JsonSerializable(typeof(SpendPageDto))]
[JsonSerializable(typeof(SpendGroupsDto))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
