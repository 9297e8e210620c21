namespace BudgetChat;

/// <summary>Computes the window of a periodic budget that contains a given instant.</summary>
/// <remarks>
/// Pure functions, thread-safe. Stores call them when a budget is touched so windows roll over lazily; custom
/// stores should call them too so every store agrees on when a budget resets.
/// </remarks>
public static class BudgetWindows
{
    /// <summary>Computes the window that contains <paramref name="now"/>.</summary>
    /// <param name="definition">The budget's period and alignment.</param>
    /// <param name="anchor">
    /// For rolling windows, when the budget was created or last reset; windows follow each other from there. For a
    /// budget without period, the start of its only window. Ignored for calendar windows.
    /// </param>
    /// <param name="now">The instant the window must contain.</param>
    /// <param name="timeZone">The time zone whose calendar aligns calendar windows.</param>
    /// <returns>The window's start, and its end (exclusive) or <see langword="null"/> for a budget without period.</returns>
    public static (DateTimeOffset Start, DateTimeOffset? End) GetWindow(BudgetDefinition definition, DateTimeOffset anchor, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(timeZone);

        if (definition.Period == BudgetPeriod.None)
        {
            return (anchor, null);
        }

        return definition.Alignment == BudgetWindowAlignment.Calendar
            ? GetCalendarWindow(definition.Period, now, timeZone)
            : GetRollingWindow(definition.Period, anchor, now);
    }

    private static (DateTimeOffset, DateTimeOffset?) GetCalendarWindow(BudgetPeriod period, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        DateTime local = TimeZoneInfo.ConvertTime(now, timeZone).DateTime.Date;
        DateTime start = period switch
        {
            BudgetPeriod.Daily => local,
            BudgetPeriod.Weekly => local.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            BudgetPeriod.Monthly => new DateTime(local.Year, local.Month, 1),
            _ => new DateTime(local.Year, 1, 1),
        };

        DateTime end = Advance(period, start, 1);
        return (ToInstant(start, timeZone), ToInstant(end, timeZone));
    }

    private static (DateTimeOffset, DateTimeOffset?) GetRollingWindow(BudgetPeriod period, DateTimeOffset anchor, DateTimeOffset now)
    {
        if (now < anchor)
        {
            return (anchor, Advance(period, anchor, 1));
        }

        // Jump close to the answer, then step; counting from the anchor (not chaining) keeps month ends
        // from drifting: 31 Jan + 2 months is 31 Mar, not 28 Mar. Calendar fields are compared in the anchor's
        // offset, and the estimate is corrected both ways, so it holds whatever offsets the two instants carry.
        DateTimeOffset local = now.ToOffset(anchor.Offset);
        long estimate = period switch
        {
            BudgetPeriod.Daily => (now - anchor).Ticks / TimeSpan.TicksPerDay,
            BudgetPeriod.Weekly => (now - anchor).Ticks / (TimeSpan.TicksPerDay * 7),
            BudgetPeriod.Monthly => Math.Max(0, ((local.Year - anchor.Year) * 12) + local.Month - anchor.Month - 1),
            _ => Math.Max(0, local.Year - anchor.Year - 1),
        };

        int n = (int)estimate;
        while (n > 0 && Advance(period, anchor, n) > now)
        {
            n--;
        }

        while (Advance(period, anchor, n + 1) <= now)
        {
            n++;
        }

        return (Advance(period, anchor, n), Advance(period, anchor, n + 1));
    }

    private static DateTimeOffset Advance(BudgetPeriod period, DateTimeOffset from, int count) => period switch
    {
        BudgetPeriod.Daily => from.AddDays(count),
        BudgetPeriod.Weekly => from.AddDays(7L * count),
        BudgetPeriod.Monthly => from.AddMonths(count),
        _ => from.AddYears(count),
    };

    private static DateTime Advance(BudgetPeriod period, DateTime from, int count) => period switch
    {
        BudgetPeriod.Daily => from.AddDays(count),
        BudgetPeriod.Weekly => from.AddDays(7L * count),
        BudgetPeriod.Monthly => from.AddMonths(count),
        _ => from.AddYears(count),
    };

    // Local midnight can be skipped (DST starting at 00:00 in some zones) or occur twice: take the first
    // valid instant at or after it, and the earlier of two.
    private static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo timeZone)
    {
        while (timeZone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        TimeSpan offset = timeZone.IsAmbiguousTime(local)
            ? timeZone.GetAmbiguousTimeOffsets(local).Max()
            : timeZone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
