using System.Globalization;
using BudgetChat.Stores;

namespace BudgetChat.Cli.Output;

/// <summary>How amounts, counts and times read in the output for people (JSON output writes the plain values).</summary>
/// <remarks>Culture-invariant, so that output is the same on every machine. This type is thread-safe.</remarks>
internal static class Formats
{
    // At least cents, and every further digit the store keeps (12 places): a token's price must not read as $0.00.
    private const string MoneyPattern = "#,##0.00##########";

    /// <summary>Formats US dollars with $, thousands separators and at least two decimals: <c>$1,234.50</c>, <c>-$0.000125</c>.</summary>
    public static string Money(decimal amount) =>
        amount < 0m
            ? "-$" + (-amount).ToString(MoneyPattern, CultureInfo.InvariantCulture)
            : "$" + amount.ToString(MoneyPattern, CultureInfo.InvariantCulture);

    /// <summary>Formats a count with thousands separators: <c>1,234,567</c>.</summary>
    public static string Count(long count) => count.ToString("#,##0", CultureInfo.InvariantCulture);

    /// <summary>Formats a limit's amount in its unit: dollars as money, tokens and requests as counts with the unit.</summary>
    public static string Amount(decimal amount, BudgetUnit unit) => unit switch
    {
        BudgetUnit.Dollars => Money(amount),
        BudgetUnit.Tokens => amount.ToString("#,##0.##", CultureInfo.InvariantCulture) + " tokens",
        _ => amount.ToString("#,##0.##", CultureInfo.InvariantCulture) + " requests",
    };

    /// <summary>Formats an instant in UTC to the second: <c>2026-03-14 10:30:00Z</c>; <c>-</c> for none.</summary>
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>Formats a fraction as a percentage: <c>80%</c>, <c>12.5%</c>.</summary>
    public static string Percent(decimal fraction) => (fraction * 100m).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    /// <summary>Gets a period's name as the command line writes it: <c>none</c>, <c>daily</c>, ...</summary>
    public static string Period(BudgetPeriod period) => BudgetPeriodNames.ToName(period);

    /// <summary>Gets an alignment's name: <c>calendar</c> or <c>rolling</c>.</summary>
    public static string Alignment(BudgetWindowAlignment alignment) => BudgetPeriodNames.ToName(alignment);

    /// <summary>Gets a unit's name: <c>dollars</c>, <c>tokens</c> or <c>requests</c>.</summary>
    public static string Unit(BudgetUnit unit) => unit switch
    {
        BudgetUnit.Dollars => "dollars",
        BudgetUnit.Tokens => "tokens",
        _ => "requests",
    };

    /// <summary>Gets an enforcement's name: <c>enforce</c> or <c>observe</c>.</summary>
    public static string Enforcement(BudgetEnforcement enforcement) => enforcement == BudgetEnforcement.Observe ? "observe" : "enforce";

    /// <summary>Gets what a budget's main limit reads as: <c>$10.00 daily (calendar)</c>, <c>$5.00 total</c>.</summary>
    public static string Limit(BudgetLimit limit) => limit.Period == BudgetPeriod.None
        ? $"{Amount(limit.Amount, limit.Unit)} total"
        : $"{Amount(limit.Amount, limit.Unit)} {Period(limit.Period)} ({Alignment(limit.Alignment)})";
}
