namespace BudgetChat.Stores;

/// <summary>
/// The names of <see cref="BudgetPeriod"/> and <see cref="BudgetWindowAlignment"/> values in the files and databases
/// the durable stores write.
/// </summary>
/// <remarks>The names are part of those formats: changing one makes existing files and databases unreadable. This type is thread-safe.</remarks>
public static class BudgetPeriodNames
{
    /// <summary>Gets the name of a period: <c>none</c>, <c>daily</c>, <c>weekly</c>, <c>monthly</c> or <c>yearly</c>.</summary>
    /// <param name="period">The period.</param>
    /// <returns>The name.</returns>
    public static string ToName(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Daily => "daily",
        BudgetPeriod.Weekly => "weekly",
        BudgetPeriod.Monthly => "monthly",
        BudgetPeriod.Yearly => "yearly",
        BudgetPeriod.Minutely => "minutely",
        BudgetPeriod.Hourly => "hourly",
        _ => "none",
    };

    /// <summary>Gets how a period reads in a limit's default name and in messages: <c>per-minute</c>, <c>hourly</c>, <c>daily</c>, … and <c>total</c> for none.</summary>
    /// <param name="period">The period.</param>
    /// <returns>The display name.</returns>
    public static string ToDisplayName(BudgetPeriod period) => period switch
    {
        BudgetPeriod.None => "total",
        BudgetPeriod.Minutely => "per-minute",
        _ => ToName(period),
    };

    /// <summary>Reads a period's name, as <see cref="ToName(BudgetPeriod)"/> writes it.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The period.</returns>
    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static BudgetPeriod Parse(string name) =>
        TryParse(name, out BudgetPeriod period) ? period : throw new FormatException($"Unknown period '{name}'.");

    /// <summary>Reads a period's name, as <see cref="ToName(BudgetPeriod)"/> writes it.</summary>
    /// <param name="name">The name.</param>
    /// <param name="period">The period read.</param>
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
            "minutely" => BudgetPeriod.Minutely,
            "hourly" => BudgetPeriod.Hourly,
            _ => null,
        };
        period = read.GetValueOrDefault();
        return read is not null;
    }

    /// <summary>Gets the name of an alignment: <c>calendar</c> or <c>rolling</c>.</summary>
    /// <param name="alignment">The alignment.</param>
    /// <returns>The name.</returns>
    public static string ToName(BudgetWindowAlignment alignment) =>
        alignment == BudgetWindowAlignment.Rolling ? "rolling" : "calendar";

    /// <summary>Reads an alignment's name, as <see cref="ToName(BudgetWindowAlignment)"/> writes it.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The alignment.</returns>
    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static BudgetWindowAlignment ParseAlignment(string name) => name switch
    {
        "calendar" => BudgetWindowAlignment.Calendar,
        "rolling" => BudgetWindowAlignment.Rolling,
        _ => throw new FormatException($"Unknown window alignment '{name}'."),
    };
}
