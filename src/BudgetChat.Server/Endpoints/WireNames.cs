namespace BudgetChat.Server.Endpoints;

/// <summary>The wire names of the enums a request may carry (camelCase; read case-insensitively).</summary>
internal static class WireNames
{
    public static readonly IReadOnlyDictionary<string, BudgetPeriod> Periods = new Dictionary<string, BudgetPeriod>(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = BudgetPeriod.None,
        ["daily"] = BudgetPeriod.Daily,
        ["weekly"] = BudgetPeriod.Weekly,
        ["monthly"] = BudgetPeriod.Monthly,
        ["yearly"] = BudgetPeriod.Yearly,
    };

    public static readonly IReadOnlyDictionary<string, BudgetWindowAlignment> Alignments = new Dictionary<string, BudgetWindowAlignment>(StringComparer.OrdinalIgnoreCase)
    {
        ["calendar"] = BudgetWindowAlignment.Calendar,
        ["rolling"] = BudgetWindowAlignment.Rolling,
    };
}
