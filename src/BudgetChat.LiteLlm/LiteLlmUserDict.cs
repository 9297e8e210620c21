namespace BudgetChat.LiteLlm;

/// <summary>
/// LiteLLM's <c>user_dict</c>, the shape of its <c>BudgetManager</c>'s <c>user_cost.json</c> and of its hosted
/// <c>/get_budget</c> and <c>/set_budget</c>: the user names budget keys go by, and its units. <c>user_cost.json</c>,
/// the budget service's LiteLLM endpoints and <see cref="LiteLlmServerBudgetStore"/> all name budgets through this
/// class, so that a budget has one name in a file, on the wire and in every client.
/// </summary>
/// <remarks>
/// Key <c>user:X</c> is user <c>X</c>. Any other key <c>K</c> is <c>budgetchat:K</c>, and so is a user whose name
/// would not read back as itself or could not be sent to the budget service: one that is blank, is
/// <see cref="MetadataName"/>, or starts with <see cref="ReservedPrefix"/>. This type is thread-safe.
/// </remarks>
public static class LiteLlmUserDict
{
    /// <summary>The prefix of the names of budgets that are not a LiteLLM user.</summary>
    public const string ReservedPrefix = "budgetchat:";

    /// <summary>
    /// The name that is never a user: BudgetChat's earlier file store kept its own state (reservations, remembered ids)
    /// under it, so it is skipped when a file is read and refused as a user name.
    /// </summary>
    public const string MetadataName = "budgetchat";

    /// <summary>The largest number of seconds <see cref="FromUnixSeconds"/> reads as a time: about 3,170 years.</summary>
    public const decimal MaxUnixSeconds = 100_000_000_000m;

    /// <summary>Gets the user name of a budget key.</summary>
    /// <param name="key">The budget key.</param>
    /// <returns>The name; never blank, never <see cref="MetadataName"/>.</returns>
    public static string ToName(string key)
    {
        if (key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal))
        {
            string user = key[BudgetKeys.UserPrefix.Length..];
            bool escaped = string.IsNullOrWhiteSpace(user) || user == MetadataName || user.StartsWith(ReservedPrefix, StringComparison.Ordinal);
            return escaped ? ReservedPrefix + key : user;
        }

        return ReservedPrefix + key;
    }

    /// <summary>Gets the budget key of a user name; the inverse of <see cref="ToName"/>.</summary>
    /// <param name="name">The name, which the caller has checked is not <see cref="MetadataName"/>.</param>
    /// <returns>The budget key.</returns>
    /// <remarks>A blank name, which <see cref="ToName"/> never writes but an older file may hold, is the blank user.</remarks>
    public static string ToKey(string name) =>
        name.StartsWith(ReservedPrefix, StringComparison.Ordinal) ? name[ReservedPrefix.Length..] : BudgetKeys.UserPrefix + name;

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
