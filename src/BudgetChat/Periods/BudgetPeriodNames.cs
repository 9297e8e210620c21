namespace BudgetChat;

/// <summary>
/// The names of <see cref="BudgetPeriod"/> and <see cref="BudgetWindowAlignment"/> values in the files and databases
/// the durable stores write.
/// </summary>
/// <remarks>The names are part of those formats: changing one makes existing files and databases unreadable. This type is thread-safe.</remarks>
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
    public static BudgetPeriod Parse(string name) =>
        TryParse(name, out BudgetPeriod period) ? period : throw new FormatException($"Unknown period '{name}'.");

    /// <summary>Reads a period's name, as <see cref="ToName(BudgetPeriod)"/> writes it.</summary>
    /// <returns><see langword="false"/> when the name is not one of ours.</returns>
    public static bool TryParse(string name, out BudgetPeriod period)
    {
        BudgetPeriod? read = name switch
        {
            "none" => BudgetPeriod.None,
            "daily" => BudgetPeriod.Daily,
            "weekly" => BudgetPeriod.Weekly,
            "monthly" => BudgetPeriod.Monthly,
            "yearly" => BudgetPeriod.Yearly,
            _ => null,
        };
        period = read.GetValueOrDefault();
        return read is not null;
    }

    public static string ToName(BudgetWindowAlignment alignment) =>
        alignment == BudgetWindowAlignment.Rolling ? "rolling" : "calendar";

    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static BudgetWindowAlignment ParseAlignment(string name) => name switch
    {
        "calendar" => BudgetWindowAlignment.Calendar,
        "rolling" => BudgetWindowAlignment.Rolling,
        _ => throw new FormatException($"Unknown window alignment '{name}'."),
    };
}
