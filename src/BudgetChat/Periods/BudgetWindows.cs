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
        return GetWindow(definition.Limits[0], anchor, now, timeZone);
    }

    /// <summary>Computes the window of one limit that contains <paramref name="now"/>.</summary>
    /// <param name="limit">The limit's period and alignment.</param>
    /// <param name="anchor">For rolling windows, when the budget was created or last reset; for a limit without period, the start of its only window.</param>
    /// <param name="now">The instant the window must contain.</param>
    /// <param name="timeZone">The time zone whose calendar (and clock, for hours) aligns calendar windows.</param>
    /// <returns>The window's start, and its end (exclusive) or <see langword="null"/> for a limit without period.</returns>
    public static (DateTimeOffset Start, DateTimeOffset? End) GetWindow(BudgetLimit limit, DateTimeOffset anchor, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(limit);
        ArgumentNullException.ThrowIfNull(timeZone);

        if (limit.Period == BudgetPeriod.None)
        {
            return (anchor, null);
        }

        return limit.Alignment == BudgetWindowAlignment.Calendar
            ? GetCalendarWindow(limit.Period, now, timeZone)
            : GetRollingWindow(limit.Period, anchor, now);
    }

    private static (DateTimeOffset, DateTimeOffset?) GetCalendarWindow(BudgetPeriod period, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        if (period is BudgetPeriod.Minutely or BudgetPeriod.Hourly)
        {
            return GetClockWindow(period, now, timeZone);
        }

        DateTime local = TimeZoneInfo.ConvertTime(now, timeZone).DateTime.Date;
        DateTime start = period switch
        {
            BudgetPeriod.Daily => local,
            BudgetPeriod.Weekly => local.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            BudgetPeriod.Monthly => new DateTime(local.Year, local.Month, 1),
            BudgetPeriod.Yearly => new DateTime(local.Year, 1, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Only days, weeks, months and years follow the calendar."),
        };

        DateTime end = Advance(period, start, 1);
        return (ToInstant(start, timeZone), ToInstant(end, timeZone));
    }

    // Minutes and hours follow the clock, not the calendar: a window is the minute or hour of the instant in the time
    // zone's offset at that instant (hours differ between zones whose offset is not whole hours), and the next one
    // starts one period later in absolute time, so a DST change neither skips nor repeats a window.
    private static (DateTimeOffset, DateTimeOffset?) GetClockWindow(BudgetPeriod period, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        DateTimeOffset local = TimeZoneInfo.ConvertTime(now, timeZone);
        long unit = period == BudgetPeriod.Minutely ? TimeSpan.TicksPerMinute : TimeSpan.TicksPerHour;
        var start = new DateTimeOffset(local.Ticks - (local.Ticks % unit), local.Offset);
        return (start, start.AddTicks(unit));
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
            BudgetPeriod.Minutely => (now - anchor).Ticks / TimeSpan.TicksPerMinute,
            BudgetPeriod.Hourly => (now - anchor).Ticks / TimeSpan.TicksPerHour,
            BudgetPeriod.Daily => (now - anchor).Ticks / TimeSpan.TicksPerDay,
            BudgetPeriod.Weekly => (now - anchor).Ticks / (TimeSpan.TicksPerDay * 7),
            BudgetPeriod.Monthly => Math.Max(0, ((local.Year - anchor.Year) * 12) + local.Month - anchor.Month - 1),
            _ => Math.Max(0, local.Year - anchor.Year - 1),
        };

        // A rolling minute window can be millions of periods from its anchor: count in longs.
        long n = estimate;
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

    private static DateTimeOffset Advance(BudgetPeriod period, DateTimeOffset from, long count) => period switch
    {
        BudgetPeriod.Minutely => from.AddTicks(count * TimeSpan.TicksPerMinute),
        BudgetPeriod.Hourly => from.AddTicks(count * TimeSpan.TicksPerHour),
        BudgetPeriod.Daily => from.AddDays(count),
        BudgetPeriod.Weekly => from.AddDays(7L * count),
        BudgetPeriod.Monthly => from.AddMonths((int)count),
        BudgetPeriod.Yearly => from.AddYears((int)count),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "A period without end has no next window."),
    };

    private static DateTime Advance(BudgetPeriod period, DateTime from, int count) => period switch
    {
        BudgetPeriod.Daily => from.AddDays(count),
        BudgetPeriod.Weekly => from.AddDays(7L * count),
        BudgetPeriod.Monthly => from.AddMonths(count),
        BudgetPeriod.Yearly => from.AddYears(count),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Only days, weeks, months and years follow the calendar."),
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
