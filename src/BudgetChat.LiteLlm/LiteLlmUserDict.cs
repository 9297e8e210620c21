using System.Globalization;

namespace BudgetChat.LiteLlm;

/// <summary>
/// LiteLLM's <c>user_dict</c>, the shape of its <c>BudgetManager</c>'s <c>user_cost.json</c> and of its hosted
/// <c>/get_budget</c> and <c>/set_budget</c>: the user names budget keys go by, its units, and its reset rule.
/// <c>user_cost.json</c>, the budget service's LiteLLM endpoints and <see cref="LiteLlmServerBudgetStore"/> all read
/// and write a <c>user_dict</c> through this class, so that a user has one name and one window everywhere.
/// </summary>
/// <remarks>
/// Key <c>user:X</c> is user <c>X</c>, whatever <c>X</c> is: no name is reserved. Budgets of other keys
/// (<c>global</c>, <c>team:a</c>) are no LiteLLM user and have no name. This type is thread-safe.
/// </remarks>
public static class LiteLlmUserDict
{
    /// <summary>The largest number of seconds <see cref="FromUnixSeconds"/> reads as a time: about 3,170 years.</summary>
    public const decimal MaxUnixSeconds = 100_000_000_000m;

    /// <summary>Gets the LiteLLM user name of a budget key.</summary>
    /// <param name="key">The budget key.</param>
    /// <returns><c>X</c> for the key <c>user:X</c>; <see langword="null"/> for a budget that is no user.</returns>
    public static string? ToName(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal) ? key[BudgetKeys.UserPrefix.Length..] : null;
    }

    /// <summary>Gets the budget key of a LiteLLM user name; the inverse of <see cref="ToName"/>.</summary>
    /// <param name="name">The user name.</param>
    /// <returns>The key <c>user:</c><paramref name="name"/>.</returns>
    public static string ToKey(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return BudgetKeys.UserPrefix + name;
    }

    /// <summary>
    /// Gets whether a LiteLLM window has ended, by LiteLLM's own rule (<c>reset_on_duration</c>): once
    /// <c>now − last_updated_at</c> reaches <c>duration</c> days, the spend is gone and a new window starts at
    /// <c>now</c>. Every reader of a <c>user_dict</c> applies it, so an ended window's spend is never carried over.
    /// </summary>
    /// <param name="durationDays">The entry's <c>duration</c>, in days.</param>
    /// <param name="lastUpdatedAt">The entry's <c>last_updated_at</c> (or <c>created_at</c> when it has none).</param>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when LiteLLM would reset the entry at <paramref name="now"/>.</returns>
    /// <remarks>
    /// The duration is counted to the nearest tick, as LiteLLM's float arithmetic counts 1/24 of a day as exactly 3,600
    /// seconds (decimal 1/24 is a hair more).
    /// </remarks>
    public static bool HasEnded(decimal durationDays, DateTimeOffset lastUpdatedAt, DateTimeOffset now) =>
        (decimal)(now - lastUpdatedAt).Ticks >= decimal.Round(durationDays * TimeSpan.TicksPerDay);

    /// <summary>
    /// Gets the <c>duration</c> and <c>last_updated_at</c> that make LiteLLM's reset rule (<see cref="HasEnded"/>) end a
    /// budget's current window exactly when it ends: the window's length in whole days, and its end minus that many days.
    /// </summary>
    /// <param name="budget">The budget.</param>
    /// <returns>
    /// The days (1; 7; 28 to 31; 365 or 366; or the fraction of a day of an hourly or minutely budget, 1/24 or 1/1440,
    /// which <see cref="PeriodOfDays"/> reads back as the budget's period) and the time; <see langword="null"/> for a
    /// budget without period. <c>last_updated_at</c> is the window start unless a daylight saving change makes the
    /// window longer or shorter than its whole days or its hour: then it is off it by the change, and the window still
    /// ends where LiteLLM computes.
    /// </returns>
    /// <remarks>
    /// LiteLLM's arithmetic takes a fraction of a day as it takes days (<c>duration × 24 × 60 × 60</c>, in floats that
    /// make 1/24 exactly 3,600 seconds and 1/1440 exactly 60), so an hourly or minutely budget's window is published as
    /// such a fraction; LiteLLM's own <c>create_budget</c> has no name for it.
    /// </remarks>
    public static (decimal DurationDays, DateTimeOffset LastUpdatedAt)? ToLiteLlmWindow(BudgetState budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.Definition.Period == BudgetPeriod.None || budget.WindowEnd is not { } end)
        {
            return null;
        }

        if (budget.Definition.Period is BudgetPeriod.Hourly or BudgetPeriod.Minutely)
        {
            return (DurationDays(budget.Definition.Period), end - (budget.Definition.Period == BudgetPeriod.Hourly ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(1)));
        }

        // A calendar month is 28 to 31 days, and a calendar day in a time zone with daylight saving 23 to 25 hours:
        // LiteLLM's fixed duration (28 for "monthly") would reset it early or late.
        decimal days = (decimal)(end - budget.WindowStart).Ticks / TimeSpan.TicksPerDay;
        int whole = Math.Max(1, (int)decimal.Round(days, MidpointRounding.AwayFromZero));
        return (whole, end.AddDays(-whole));
    }

    /// <summary>
    /// Gets LiteLLM's <c>duration</c> of a period: the days <c>create_budget</c> writes (1, 7, 28, 365), and for the
    /// periods it has no name for the fraction of a day (1/24 for hourly, 1/1440 for minutely).
    /// </summary>
    /// <param name="period">The period; not <see cref="BudgetPeriod.None"/>, which LiteLLM writes as no duration.</param>
    /// <returns>The number of days.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is <see cref="BudgetPeriod.None"/> or undefined.</exception>
    public static decimal DurationDays(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Minutely => 1m / 1440m,
        BudgetPeriod.Hourly => 1m / 24m,
        BudgetPeriod.Daily => 1m,
        BudgetPeriod.Weekly => 7m,
        BudgetPeriod.Monthly => 28m, // LiteLLM's create_budget("monthly")
        BudgetPeriod.Yearly => 365m,
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "A budget without period has no LiteLLM duration: leave 'duration' out."),
    };

    /// <summary>Gets the period of a LiteLLM <c>duration</c> in days, by the one rule every reader of a <c>user_dict</c> follows.</summary>
    /// <param name="days">The number of days.</param>
    /// <returns>
    /// <see cref="BudgetPeriod.Daily"/> for 1, <see cref="BudgetPeriod.Weekly"/> for 7, <see cref="BudgetPeriod.Monthly"/>
    /// for a whole number from 28 to 31 (LiteLLM's <c>create_budget</c> writes 28; other writers count a month's
    /// days), <see cref="BudgetPeriod.Yearly"/> for 365 or 366, <see cref="BudgetPeriod.Hourly"/> and
    /// <see cref="BudgetPeriod.Minutely"/> for 1/24 and 1/1440 of a day to the tick (as <see cref="DurationDays"/>
    /// writes them, or Python's float of them, 0.041666666666666664); <see langword="null"/> for any other number (2,
    /// 29.5, 0.04, 0, negative), which is no duration LiteLLM writes and is refused rather than guessed: read as no
    /// period, such a budget would never reset. No <c>duration</c> at all is <see cref="BudgetPeriod.None"/>, which the
    /// caller decides before asking.
    /// </returns>
    public static BudgetPeriod? PeriodOfDays(decimal days) => days switch
    {
        1m => BudgetPeriod.Daily,
        7m => BudgetPeriod.Weekly,
        >= 28m and <= 31m when days == decimal.Truncate(days) => BudgetPeriod.Monthly,
        365m or 366m => BudgetPeriod.Yearly,
        > 0m and < 1m when decimal.Round(days * TimeSpan.TicksPerDay) == TimeSpan.TicksPerHour => BudgetPeriod.Hourly,
        > 0m and < 1m when decimal.Round(days * TimeSpan.TicksPerDay) == TimeSpan.TicksPerMinute => BudgetPeriod.Minutely,
        _ => null,
    };

    /// <summary>
    /// Gets the definition a <c>user_dict</c> entry gives a budget. LiteLLM knows one limit, the main one (US dollars on
    /// every model): an existing budget keeps its other limits, its enforcement and its alert thresholds, and only its
    /// main limit changes.
    /// </summary>
    /// <param name="existing">The budget's definition, or <see langword="null"/> for a budget the entry creates.</param>
    /// <param name="totalBudget">The entry's <c>total_budget</c>.</param>
    /// <param name="period">The period of its <c>duration</c>.</param>
    /// <param name="alignment">The main limit's alignment.</param>
    /// <returns>
    /// The definition. A main limit named after its period (<c>monthly</c>) is named after the new one; one given a name
    /// of its own keeps it; when the new name is another limit's already (a <c>daily</c> limit beside a budget LiteLLM
    /// makes daily), the main limit is <c>daily (main)</c>.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalBudget"/> is negative or above <see cref="Stores.BudgetAmounts.Max"/>, or an enum value is undefined.</exception>
    public static BudgetDefinition ToDefinition(BudgetDefinition? existing, decimal totalBudget, BudgetPeriod period, BudgetWindowAlignment alignment)
    {
        if (existing is null)
        {
            return new BudgetDefinition(totalBudget, period, alignment);
        }

        BudgetLimit old = existing.Limits[0];
        string name = old.Name == BudgetLimit.Dollars(old.Amount, old.Period, old.Alignment).Name ? BudgetLimit.Dollars(totalBudget, period, alignment).Name : old.Name;
        string unique = name;
        for (int n = 1; existing.Limits.Skip(1).Any(l => string.Equals(l.Name, unique, StringComparison.Ordinal)); n++)
        {
            unique = n == 1 ? $"{name} (main)" : string.Create(CultureInfo.InvariantCulture, $"{name} (main {n})");
        }

        return new BudgetDefinition([new BudgetLimit(totalBudget, period, alignment, name: unique), .. existing.Limits.Skip(1)], existing.AlertThresholds, existing.Enforcement);
    }

    /// <summary>Gets the instant of one of LiteLLM's times (<c>created_at</c>, <c>last_updated_at</c>): Unix seconds, to the tick.</summary>
    /// <param name="seconds">The seconds since the Unix epoch, fractions included.</param>
    /// <returns>
    /// The instant, rounded to the nearest tick; <see langword="null"/> when <paramref name="seconds"/> is more than
    /// <see cref="MaxUnixSeconds"/> either way (milliseconds written by mistake, for one) or names no instant a
    /// <see cref="DateTimeOffset"/> holds.
    /// </returns>
    public static DateTimeOffset? FromUnixSeconds(decimal seconds)
    {
        if (Math.Abs(seconds) > MaxUnixSeconds)
        {
            return null;
        }

        decimal ticks = decimal.Round(seconds * TimeSpan.TicksPerSecond) + DateTimeOffset.UnixEpoch.UtcTicks;
        return ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset((long)ticks, TimeSpan.Zero)
            : null;
    }

    /// <summary>Gets an instant as LiteLLM's times: Unix seconds, exact to the tick.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The seconds since the Unix epoch.</returns>
    public static decimal ToUnixSeconds(DateTimeOffset instant) =>
        (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (decimal)TimeSpan.TicksPerSecond;
}
