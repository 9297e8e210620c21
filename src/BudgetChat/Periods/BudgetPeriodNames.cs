namespace BudgetChat;

/// <summary>The names of <see cref="BudgetPeriod"/> values in the files and databases the durable stores write.</summary>
internal static class BudgetPeriodNames
{
    public static string ToName(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Daily => "daily",
        BudgetPeriod.Weekly => "weekly",
        BudgetPeriod.Monthly => "monthly",
        BudgetPeriod.Yearly => "yearly",
        _ => "none",
    };

    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static BudgetPeriod Parse(string name) => name switch
    {
        "none" => BudgetPeriod.None,
        "daily" => BudgetPeriod.Daily,
        "weekly" => BudgetPeriod.Weekly,
        "monthly" => BudgetPeriod.Monthly,
        "yearly" => BudgetPeriod.Yearly,
        _ => throw new FormatException($"Unknown period '{name}'."),
    };
}
