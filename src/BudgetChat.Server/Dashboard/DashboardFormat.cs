using System.Globalization;
using BudgetChat.Stores;

namespace BudgetChat.Server.Dashboard;

/// <summary>How the dashboard writes amounts, times and durations: the same on every machine (invariant culture, UTC).</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class DashboardFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>US dollars: whole dollars from $100, cents from $1, and up to four decimals below (<c>$0.0042</c>).</summary>
    public static string Money(decimal amount)
    {
        decimal abs = Math.Abs(amount);
        return abs switch
        {
            0m => "$0",
            >= BudgetAmounts.Max => "no limit",
            >= 100m => amount.ToString("$#,0", Invariant),
            >= 1m => amount.ToString("$#,0.00", Invariant),
            >= 0.0001m => amount.ToString("$0.00##", Invariant),
            _ => amount > 0 ? "<$0.0001" : "-<$0.0001",
        };
    }

    /// <summary>An amount in a limit's unit: dollars, tokens or requests.</summary>
    public static string Amount(decimal amount, BudgetUnit unit) => unit switch
    {
        BudgetUnit.Dollars => Money(amount),
        _ when amount >= BudgetAmounts.Max => "no limit",
        BudgetUnit.Tokens => Count(amount) + " tokens",
        _ => Count(amount) + (amount == 1m ? " request" : " requests"),
    };

    /// <summary>A count, shortened from ten thousand on: <c>9,500</c>, <c>12.5k</c>, <c>3.2M</c>.</summary>
    public static string Count(decimal count) => Math.Abs(count) switch
    {
        >= 1_000_000_000m => (count / 1_000_000_000m).ToString("0.#", Invariant) + "G",
        >= 1_000_000m => (count / 1_000_000m).ToString("0.#", Invariant) + "M",
        >= 10_000m => (count / 1_000m).ToString("0.#", Invariant) + "k",
        _ => count.ToString("#,0", Invariant),
    };

    /// <summary>A whole number with thousands separators.</summary>
    public static string Number(long value) => value.ToString("#,0", Invariant);

    /// <summary>A time in UTC to the second: <c>2026-05-01 13:05:09 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Invariant);

    /// <summary>A time in UTC to the minute: <c>2026-05-01 13:05 UTC</c>.</summary>
    public static string ShortTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant);

    /// <summary>A duration in its two largest units: <c>2 d 4 h</c>, <c>3 h 12 min</c>, <c>12 min</c>, <c>45 s</c>.</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        return duration switch
        {
            { TotalDays: >= 1 } => duration.Hours == 0 ? $"{(int)duration.TotalDays} d" : $"{(int)duration.TotalDays} d {duration.Hours} h",
            { TotalHours: >= 1 } => duration.Minutes == 0 ? $"{duration.Hours} h" : $"{duration.Hours} h {duration.Minutes} min",
            { TotalMinutes: >= 1 } => $"{duration.Minutes} min",
            { TotalSeconds: >= 1 } => $"{duration.Seconds} s",
            _ => string.Create(Invariant, $"{duration.TotalMilliseconds:0} ms"),
        };
    }

    /// <summary>A share as a whole percentage: <c>42%</c>.</summary>
    public static string Percent(decimal share) => (share * 100m).ToString("0", Invariant) + "%";

    /// <summary>
    /// What a limit's name does not say already: its period when the name is not made of it, <c>rolling</c> windows, the
    /// models it applies to; <see langword="null"/> when the name says it all (<c>daily</c>, <c>daily tokens</c>).
    /// </summary>
    public static string? LimitDetail(BudgetLimit limit)
    {
        var parts = new List<string>(3);
        if (!limit.Name.StartsWith(BudgetPeriodNames.ToDisplayName(limit.Period), StringComparison.Ordinal))
        {
            parts.Add(limit.Period == BudgetPeriod.None ? "no reset" : BudgetPeriodNames.ToName(limit.Period));
        }

        if (limit.Alignment == BudgetWindowAlignment.Rolling && limit.Period != BudgetPeriod.None)
        {
            parts.Add("rolling");
        }

        if (!limit.AppliesToEveryModel)
        {
            parts.Add(string.Join(", ", limit.Models));
        }

        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }
}
