using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using BudgetChat.Stores;

namespace BudgetChat.Cli.Commands;

/// <summary>
/// Reads option values the way people write them, and reports a value that is wrong with a message naming its option
/// (a parse error, exit code 2).
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static partial class ValueParsers
{
    /// <summary>The period names <c>--period</c> takes.</summary>
    public static readonly string[] PeriodNames =
        [.. ((BudgetPeriod[])[BudgetPeriod.None, BudgetPeriod.Minutely, BudgetPeriod.Hourly, BudgetPeriod.Daily, BudgetPeriod.Weekly, BudgetPeriod.Monthly, BudgetPeriod.Yearly]).Select(BudgetPeriodNames.ToName)];

    /// <summary>The alignment names <c>--alignment</c> takes.</summary>
    public static readonly string[] AlignmentNames = ["calendar", "rolling"];

    /// <summary>Reads US dollars: <c>10</c>, <c>2.50</c>, <c>1,000</c> or <c>$1,000.00</c>, from 0 to <see cref="BudgetAmounts.Max"/>.</summary>
    public static decimal Money(ArgumentResult result)
    {
        string text = Token(result);
        string number = text.StartsWith('$') ? text[1..] : text;
        if (decimal.TryParse(number, NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal amount)
            && amount <= BudgetAmounts.Max)
        {
            return amount;
        }

        result.AddError($"{OptionName(result)}: '{text}' is not an amount of US dollars from 0 to {BudgetAmounts.Max:#,0}, for example 10 or 2.50.");
        return 0m;
    }

    /// <summary>Reads a period name (<see cref="PeriodNames"/>).</summary>
    public static BudgetPeriod? Period(ArgumentResult result)
    {
        string text = Token(result);
        foreach (string name in PeriodNames)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return BudgetPeriodNames.Parse(name);
            }
        }

        result.AddError($"{OptionName(result)}: '{text}' is not a period; use one of {string.Join(", ", PeriodNames)}.");
        return null;
    }

    /// <summary>Reads an alignment name (<see cref="AlignmentNames"/>).</summary>
    public static BudgetWindowAlignment? Alignment(ArgumentResult result)
    {
        string text = Token(result);
        foreach (string name in AlignmentNames)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return BudgetPeriodNames.ParseAlignment(name);
            }
        }

        result.AddError($"{OptionName(result)}: '{text}' is not a window alignment; use calendar (windows follow the calendar) or rolling (they count from the last reset).");
        return null;
    }

    /// <summary>
    /// Reads a time: an ISO 8601 instant (<c>2026-03-14T10:30:00Z</c>; UTC when it has no offset), a UTC date
    /// (<c>2026-03-14</c>), or a time ago (<c>90m</c>, <c>24h</c>, <c>7d</c>, <c>2w</c>).
    /// </summary>
    public static DateTimeOffset? Time(ArgumentResult result)
    {
        string text = Token(result);
        if (TryParseTime(text, TimeProvider.System.GetUtcNow(), out DateTimeOffset time))
        {
            return time;
        }

        result.AddError($"{OptionName(result)}: '{text}' is not a time; use an instant (2026-03-14T10:30:00Z), a UTC date (2026-03-14) or a time ago (90m, 24h, 7d, 2w).");
        return null;
    }

    /// <summary>Reads a time as <see cref="Time(ArgumentResult)"/> does, with <paramref name="now"/> for times ago.</summary>
    public static bool TryParseTime(string text, DateTimeOffset now, out DateTimeOffset time)
    {
        Match ago = Ago().Match(text);
        if (ago.Success && long.TryParse(ago.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= 100_000)
        {
            TimeSpan unit = ago.Groups["unit"].Value switch
            {
                "m" => TimeSpan.FromMinutes(1),
                "h" => TimeSpan.FromHours(1),
                "d" => TimeSpan.FromDays(1),
                _ => TimeSpan.FromDays(7),
            };
            time = now - (unit * n);
            return true;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
        {
            time = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    /// <summary>Reads a whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static long Number(ArgumentResult result, long min, long max)
    {
        string text = Token(result);
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max)
        {
            return n;
        }

        result.AddError($"{OptionName(result)}: '{text}' is not a whole number from {min:#,0} to {max:#,0}.");
        return min;
    }

    /// <summary>Gets the name of the option an argument belongs to, as the person typed it.</summary>
    public static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.IdentifierToken?.Value ?? option.Option.Name : $"<{result.Argument.Name}>";

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;

    [GeneratedRegex("^(?<n>[0-9]{1,6})(?<unit>[mhdw])$", RegexOptions.CultureInvariant)]
    private static partial Regex Ago();
}
