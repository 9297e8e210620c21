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
    public static bool HasEnded(decimal durationDays, DateTimeOffset lastUpdatedAt, DateTimeOffset now) =>
        (decimal)(now - lastUpdatedAt).Ticks >= durationDays * TimeSpan.TicksPerDay;

    /// <summary>
    /// Gets the <c>duration</c> and <c>last_updated_at</c> that make LiteLLM's reset rule (<see cref="HasEnded"/>) end a
    /// budget's current window exactly when it ends: the window's length in whole days, and its end minus that many days.
    /// </summary>
    /// <param name="budget">The budget.</param>
    /// <returns>
    /// The days (1; 7; 28 to 31; 365 or 366, which <see cref="PeriodOfDays"/> reads back as the budget's period) and the
    /// time; <see langword="null"/> for a budget without period. <c>last_updated_at</c> is the window start unless a
    /// daylight saving change makes the window an hour longer or shorter than whole days: then it is an hour off it, and
    /// the window still ends where LiteLLM computes.
    /// </returns>
    public static (int DurationDays, DateTimeOffset LastUpdatedAt)? ToLiteLlmWindow(BudgetState budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.Definition.Period == BudgetPeriod.None || budget.WindowEnd is not { } end)
        {
            return null;
        }

        // A calendar month is 28 to 31 days, and a calendar day in a time zone with daylight saving 23 to 25 hours:
        // LiteLLM's fixed duration (28 for "monthly") would reset it early or late.
        decimal days = (decimal)(end - budget.WindowStart).Ticks / TimeSpan.TicksPerDay;
        int whole = Math.Max(1, (int)decimal.Round(days, MidpointRounding.AwayFromZero));
        return (whole, end.AddDays(-whole));
    }

    /// <summary>Gets LiteLLM's <c>duration</c> of a period: the days <c>create_budget</c> writes (1, 7, 28, 365).</summary>
    /// <param name="period">The period; not <see cref="BudgetPeriod.None"/>, which LiteLLM writes as no duration.</param>
    /// <returns>The number of days.</returns>
    public static int DurationDays(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Daily => 1,
        BudgetPeriod.Weekly => 7,
        BudgetPeriod.Monthly => 28, // LiteLLM's create_budget("monthly")
        _ => 365,
    };

    /// <summary>Gets the period of a LiteLLM <c>duration</c> in days, by the one rule every reader of a <c>user_dict</c> follows.</summary>
    /// <param name="days">The number of days.</param>
    /// <returns>
    /// <see cref="BudgetPeriod.Daily"/> for 1, <see cref="BudgetPeriod.Weekly"/> for 7, <see cref="BudgetPeriod.Monthly"/>
    /// for a whole number from 28 to 31 (LiteLLM's <c>create_budget</c> writes 28; other writers count a month's
    /// days), <see cref="BudgetPeriod.Yearly"/> for 365 or 366; <see langword="null"/> for any other number (2, 29.5,
    /// 0, negative), which is no duration LiteLLM writes and is refused rather than guessed: read as no period, such a
    /// budget would never reset. No <c>duration</c> at all is <see cref="BudgetPeriod.None"/>, which the caller
    /// decides before asking.
    /// </returns>
    public static BudgetPeriod? PeriodOfDays(decimal days) => days switch
    {
        1m => BudgetPeriod.Daily,
        7m => BudgetPeriod.Weekly,
        >= 28m and <= 31m when days == decimal.Truncate(days) => BudgetPeriod.Monthly,
        365m or 366m => BudgetPeriod.Yearly,
        _ => null,
    };

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
