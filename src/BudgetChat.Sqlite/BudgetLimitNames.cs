namespace BudgetChat.Sqlite;

/// <summary>The names of <see cref="BudgetUnit"/> and <see cref="BudgetEnforcement"/> values in the SQLite store's rows.</summary>
/// <remarks>The names are part of the database format: changing one makes existing databases unreadable. This type is thread-safe.</remarks>
internal static class BudgetLimitNames
{
    public static string ToName(BudgetUnit unit) => unit switch
    {
        BudgetUnit.Tokens => "tokens",
        BudgetUnit.Requests => "requests",
        _ => "dollars",
    };

    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static BudgetUnit ParseUnit(string name) => name switch
    {
        "dollars" => BudgetUnit.Dollars,
        "tokens" => BudgetUnit.Tokens,
        "requests" => BudgetUnit.Requests,
        _ => throw new FormatException($"Unknown limit unit '{name}'."),
    };

    public static string ToName(BudgetEnforcement enforcement) =>
        enforcement == BudgetEnforcement.Observe ? "observe" : "enforce";

    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static BudgetEnforcement ParseEnforcement(string name) => name switch
    {
        "enforce" => BudgetEnforcement.Enforce,
        "observe" => BudgetEnforcement.Observe,
        _ => throw new FormatException($"Unknown enforcement '{name}'."),
    };
}
