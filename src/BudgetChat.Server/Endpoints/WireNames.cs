using BudgetChat.Stores;

namespace BudgetChat.Server.Endpoints;

/// <summary>The wire names of the enums a request may carry (camelCase; read case-insensitively).</summary>
/// <remarks>The names are the stores' own (<see cref="BudgetPeriodNames"/>); only the wire reads them without regard to case.</remarks>
internal static class WireNames
{
    public static readonly IReadOnlyDictionary<string, BudgetPeriod> Periods =
        Enum.GetValues<BudgetPeriod>().ToDictionary(p => BudgetPeriodNames.ToName(p), StringComparer.OrdinalIgnoreCase);

    public static readonly IReadOnlyDictionary<string, BudgetWindowAlignment> Alignments =
        Enum.GetValues<BudgetWindowAlignment>().ToDictionary(a => BudgetPeriodNames.ToName(a), StringComparer.OrdinalIgnoreCase);
}
