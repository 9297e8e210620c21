using System.Text.Json.Serialization;

namespace BudgetChat.Sqlite;

/// <summary>
/// The JSON columns of the database: a reservation's keys, a spend record's keys, a budget's spend per model, its other
/// limits and their windows. Amounts are exact decimal text, times ISO 8601 text ("O"), as in the other columns.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(LimitRow[]))]
[JsonSerializable(typeof(WindowRow[]))]
internal sealed partial class SqliteRowJsonContext : JsonSerializerContext;

/// <summary>One of a budget's limits after the main one (column <c>budgets.limits</c>).</summary>
/// <param name="Unit">dollars, tokens or requests.</param>
/// <param name="Amount">The amount, as exact decimal text.</param>
/// <param name="Period">The period's name (<see cref="Stores.BudgetPeriodNames"/>).</param>
/// <param name="Alignment">calendar or rolling.</param>
/// <param name="Name">The limit's name, as the budget's owner gave it or as it was made.</param>
/// <param name="Models">The model patterns, or <see langword="null"/> (left out) for every model.</param>
internal sealed record LimitRow(string Unit, string Amount, string Period, string Alignment, string Name, string[]? Models = null);

/// <summary>The window of one of a budget's limits after the main one (column <c>budgets.windows</c>); what it holds follows from the reservations.</summary>
/// <param name="Start">When it started.</param>
/// <param name="Spent">What it has counted, as exact decimal text.</param>
/// <param name="Alerts">The alert thresholds raised in it, one bit each.</param>
/// <param name="End">When it ends, or <see langword="null"/> (left out) for a limit without period.</param>
internal sealed record WindowRow(string Start, string Spent, int Alerts, string? End = null);
