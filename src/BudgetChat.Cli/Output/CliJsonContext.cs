using System.Text.Json.Serialization;

namespace BudgetChat.Cli.Output;

/// <summary>The source-generated serializers of what <c>--json</c> writes (<see cref="BudgetJson"/> and the others).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BudgetJson))]
[JsonSerializable(typeof(BudgetListJson))]
[JsonSerializable(typeof(DeletedJson))]
[JsonSerializable(typeof(SpendPageJson))]
[JsonSerializable(typeof(SpendGroupsJson))]
[JsonSerializable(typeof(VerifyJson))]
[JsonSerializable(typeof(ImportJson))]
[JsonSerializable(typeof(ExportJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
