using System.Globalization;

namespace BudgetChat.Tests;

public sealed class BudgetWindowsTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static readonly DateTimeOffset AnyAnchor = new(2019, 7, 4, 6, 45, 0, TimeSpan.Zero);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static (DateTimeOffset Start, DateTimeOffset? End) Calendar(BudgetPeriod period, string now, TimeZoneInfo? zone = null) =>
        BudgetWindows.GetWindow(new BudgetDefinition(1m, period), AnyAnchor, At(now), zone ?? TimeZoneInfo.Utc);

    private static (DateTimeOffset Start, DateTimeOffset? End) Rolling(BudgetPeriod period, string anchor, string now) =>
        BudgetWindows.GetWindow(new BudgetDefinition(1m, period, BudgetWindowAlignment.Rolling), At(anchor), At(now), TimeZoneInfo.Utc);

    // ---------------------------------------------------------------- calendar, UTC

    [Theory]
    [InlineData(BudgetPeriod.Daily, "2026-03-10T12:00Z", "2026-03-10T00:00Z", "2026-03-11T00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2026-03-10T00:00Z", "2026-03-10T00:00Z", "2026-03-11T00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2026-03-10T23:59:59.9999999Z", "2026-03-10T00:00Z", "2026-03-11T00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2026-12-31T18:00Z", "2026-12-31T00:00Z", "2027-01-01T00:00Z")]
    [InlineData(BudgetPeriod.Weekly, "2026-03-10T12:00Z", "2026-03-09T00:00Z", "2026-03-16T00:00Z")] // Tuesday
    [InlineData(BudgetPeriod.Weekly, "2026-03-09T00:00Z", "2026-03-09T00:00Z", "2026-03-16T00:00Z")] // Monday 00:00
    [InlineData(BudgetPeriod.Weekly, "2026-03-15T23:59:59Z", "2026-03-09T00:00Z", "2026-03-16T00:00Z")] // Sunday night
    [InlineData(BudgetPeriod.Weekly, "2027-01-01T12:00Z", "2026-12-28T00:00Z", "2027-01-04T00:00Z")] // across a year end
    [InlineData(BudgetPeriod.Monthly, "2026-03-10T12:00Z", "2026-03-01T00:00Z", "2026-04-01T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-01-31T23:59:59Z", "2026-01-01T00:00Z", "2026-02-01T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-02-01T00:00Z", "2026-02-01T00:00Z", "2026-03-01T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-12-15T00:00Z", "2026-12-01T00:00Z", "2027-01-01T00:00Z")]
    [InlineData(BudgetPeriod.Yearly, "2026-03-10T12:00Z", "2026-01-01T00:00Z", "2027-01-01T00:00Z")]
    [InlineData(BudgetPeriod.Yearly, "2026-12-31T23:59:59Z", "2026-01-01T00:00Z", "2027-01-01T00:00Z")]
    public void Calendar_InUtc_StartsAtMidnight_MondayOrTheFirst(BudgetPeriod period, string now, string start, string end)
    {
        var (s, e) = Calendar(period, now);

        Assert.Equal(At(start), s);
        Assert.Equal(At(end), e);
        Assert.Equal(TimeSpan.Zero, s.Offset);
        Assert.Equal(TimeSpan.Zero, e!.Value.Offset);
    }

    [Theory]
    [InlineData(BudgetPeriod.Daily, "2028-02-29T12:00Z", "2028-02-29T00:00Z", "2028-03-01T00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2028-02-28T12:00Z", "2028-02-28T00:00Z", "2028-02-29T00:00Z")]
    [InlineData(BudgetPeriod.Weekly, "2028-02-29T12:00Z", "2028-02-28T00:00Z", "2028-03-06T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2028-02-29T12:00Z", "2028-02-01T00:00Z", "2028-03-01T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-02-28T12:00Z", "2026-02-01T00:00Z", "2026-03-01T00:00Z")]
    [InlineData(BudgetPeriod.Yearly, "2028-02-29T12:00Z", "2028-01-01T00:00Z", "2029-01-01T00:00Z")]
    public void Calendar_HandlesLeapYears(BudgetPeriod period, string now, string start, string end)
    {
        var (s, e) = Calendar(period, now);

        Assert.Equal(At(start), s);
        Assert.Equal(At(end), e);
    }

    [Fact]
    public void Calendar_YearlyWindowOfALeapYear_Is366DaysLong()
    {
        var (s, e) = Calendar(BudgetPeriod.Yearly, "2028-07-01T00:00Z");

        Assert.Equal(TimeSpan.FromDays(366), e - s);
    }

    [Fact]
    public void Calendar_DependsOnTheInstant_NotOnTheOffsetItIsWrittenIn()
    {
        // 20:00 on 10 March in New York is 01:00 on 11 March in UTC.
        var (s, e) = BudgetWindows.GetWindow(new BudgetDefinition(1m, BudgetPeriod.Daily), AnyAnchor, new DateTimeOffset(2026, 3, 10, 20, 0, 0, TimeSpan.FromHours(-5)), TimeZoneInfo.Utc);

        Assert.Equal(At("2026-03-11T00:00Z"), s);
        Assert.Equal(At("2026-03-12T00:00Z"), e);
    }

    [Fact]
    public void Calendar_IgnoresTheAnchor()
    {
        var definition = new BudgetDefinition(1m, BudgetPeriod.Monthly);
        DateTimeOffset now = At("2026-03-10T12:00Z");

        var a = BudgetWindows.GetWindow(definition, At("2020-01-17T05:00Z"), now, TimeZoneInfo.Utc);
        var b = BudgetWindows.GetWindow(definition, At("2030-06-02T00:00Z"), now, TimeZoneInfo.Utc);

        Assert.Equal(At("2026-03-01T00:00Z"), a.Start);
        Assert.Equal(a, b);
    }

    // ---------------------------------------------------------------- calendar, other zones

    [Theory]
    [InlineData("2026-03-29T12:00Z", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 23)] // clocks go forward at 02:00
    [InlineData("2026-10-25T12:00Z", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 25)] // clocks go back at 03:00
    [InlineData("2026-03-10T12:00Z", "2026-03-10T00:00:00+01:00", "2026-03-11T00:00:00+01:00", 24)]
    public void Calendar_DailyWindowOnADstChange_StartsAtLocalMidnight_WithTheRightOffset(string now, string start, string end, int hours)
    {
        var (s, e) = Calendar(BudgetPeriod.Daily, now, Berlin);

        DateTimeOffset expectedStart = DateTimeOffset.Parse(start, CultureInfo.InvariantCulture);
        DateTimeOffset expectedEnd = DateTimeOffset.Parse(end, CultureInfo.InvariantCulture);
        Assert.Equal(expectedStart, s);
        Assert.Equal(expectedStart.Offset, s.Offset);
        Assert.Equal(TimeSpan.Zero, s.TimeOfDay);
        Assert.Equal(expectedEnd, e);
        Assert.Equal(expectedEnd.Offset, e!.Value.Offset);
        Assert.Equal(TimeSpan.Zero, e.Value.TimeOfDay);
        Assert.Equal(TimeSpan.FromHours(hours), e.Value - s);
    }

    [Theory]
    [InlineData(BudgetPeriod.Daily, "2026-03-10T23:30Z", "2026-03-11T00:00:00+01:00", "2026-03-12T00:00:00+01:00")] // already the 11th in Berlin
    [InlineData(BudgetPeriod.Weekly, "2026-03-29T23:30Z", "2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00")] // already Monday in Berlin
    [InlineData(BudgetPeriod.Weekly, "2026-03-28T12:00Z", "2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00")] // a week with a DST change
    [InlineData(BudgetPeriod.Monthly, "2026-02-28T23:30Z", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00")]
    [InlineData(BudgetPeriod.Monthly, "2026-10-10T12:00Z", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00")]
    [InlineData(BudgetPeriod.Yearly, "2026-12-31T23:30Z", "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00")]
    public void Calendar_FollowsTheCalendarOfTheTimeZone(BudgetPeriod period, string now, string start, string end)
    {
        var (s, e) = Calendar(period, now, Berlin);

        Assert.Equal(DateTimeOffset.Parse(start, CultureInfo.InvariantCulture), s);
        Assert.Equal(DateTimeOffset.Parse(end, CultureInfo.InvariantCulture), e);
        Assert.Equal(TimeSpan.Zero, s.TimeOfDay);
    }

    [Fact]
    public void Calendar_WhenLocalMidnightIsSkipped_StartsAtTheFirstValidInstant()
    {
        // Santiago de Chile: on 6 September 2026 the clocks jump from 00:00 (-04) to 01:00 (-03).
        TimeZoneInfo santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");

        var day = Calendar(BudgetPeriod.Daily, "2026-09-06T12:00Z", santiago);
        var dayBefore = Calendar(BudgetPeriod.Daily, "2026-09-05T12:00Z", santiago);

        Assert.Equal(new DateTimeOffset(2026, 9, 6, 1, 0, 0, TimeSpan.FromHours(-3)), day.Start);
        Assert.Equal(new DateTimeOffset(2026, 9, 7, 0, 0, 0, TimeSpan.FromHours(-3)), day.End);
        Assert.Equal(day.Start, dayBefore.End);
    }

    [Fact]
    public void Calendar_WhenLocalMidnightOccursTwice_StartsAtTheFirst()
    {
        // Havana: on 1 November 2026 the clocks go back from 01:00 (-04) to 00:00 (-05).
        TimeZoneInfo havana = TimeZoneInfo.FindSystemTimeZoneById("America/Havana");

        var day = Calendar(BudgetPeriod.Daily, "2026-11-01T12:00Z", havana);
        var dayBefore = Calendar(BudgetPeriod.Daily, "2026-10-31T12:00Z", havana);

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(-4)), day.Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.FromHours(-5)), day.End);
        Assert.Equal(TimeSpan.FromHours(25), day.End - day.Start);
        Assert.Equal(day.Start, dayBefore.End);
    }

    [Theory]
    [InlineData("UTC", BudgetPeriod.Daily)]
    [InlineData("UTC", BudgetPeriod.Weekly)]
    [InlineData("Europe/Berlin", BudgetPeriod.Daily)]
    [InlineData("Europe/Berlin", BudgetPeriod.Weekly)]
    [InlineData("Europe/Berlin", BudgetPeriod.Monthly)]
    [InlineData("Europe/Berlin", BudgetPeriod.Yearly)]
    [InlineData("America/Santiago", BudgetPeriod.Daily)]
    [InlineData("America/Havana", BudgetPeriod.Daily)]
    [InlineData("Asia/Kolkata", BudgetPeriod.Daily)]
    [InlineData("Australia/Lord_Howe", BudgetPeriod.Daily)]
    [InlineData("Pacific/Chatham", BudgetPeriod.Monthly)]
    public void Calendar_WindowsTileTheTimeline_AndEachContainsItsInstants(string zoneId, BudgetPeriod period)
    {
        TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var definition = new BudgetDefinition(1m, period);
        DateTimeOffset now = At("2025-12-20T07:00Z");
        var (start, end) = BudgetWindows.GetWindow(definition, AnyAnchor, now, zone);

        while (now < At("2028-12-31T00:00Z"))
        {
            Assert.NotNull(end);
            DateTimeOffset e = end.Value;
            Assert.True(start <= now && now < e, $"{now:o} is not in [{start:o}, {e:o}) in {zoneId}.");
            Assert.Equal((start, end), BudgetWindows.GetWindow(definition, AnyAnchor, e.AddTicks(-1), zone));

            DateTime local = TimeZoneInfo.ConvertTime(start, zone).DateTime;
            DateTime localMidnight = local.Date;
            Assert.True(local == localMidnight || zone.IsInvalidTime(localMidnight), $"{start:o} is not the start of a day in {zoneId}.");
            switch (period)
            {
                case BudgetPeriod.Weekly:
                    Assert.Equal(DayOfWeek.Monday, local.DayOfWeek);
                    break;
                case BudgetPeriod.Monthly:
                    Assert.Equal(1, local.Day);
                    break;
                case BudgetPeriod.Yearly:
                    Assert.Equal(1, local.DayOfYear);
                    break;
            }

            var next = BudgetWindows.GetWindow(definition, AnyAnchor, e, zone);
            Assert.Equal(e, next.Start);
            now = e + ((next.End!.Value - e) / 3);
            (start, end) = BudgetWindows.GetWindow(definition, AnyAnchor, now, zone);
            Assert.Equal(next, (start, end));
        }
    }

    // ---------------------------------------------------------------- rolling

    [Theory]
    [InlineData("2026-03-10T15:30Z", "2026-03-10T15:30Z", "2026-03-11T15:30Z")] // at the anchor
    [InlineData("2026-03-11T15:29:59Z", "2026-03-10T15:30Z", "2026-03-11T15:30Z")]
    [InlineData("2026-03-11T15:30Z", "2026-03-11T15:30Z", "2026-03-12T15:30Z")]
    [InlineData("2026-03-12T09:00Z", "2026-03-11T15:30Z", "2026-03-12T15:30Z")]
    [InlineData("2028-03-01T00:00Z", "2028-02-29T15:30Z", "2028-03-01T15:30Z")]
    public void Rolling_Daily_CountsWholeDaysFromTheAnchor(string now, string start, string end)
    {
        var (s, e) = Rolling(BudgetPeriod.Daily, "2026-03-10T15:30Z", now);

        Assert.Equal(At(start), s);
        Assert.Equal(At(end), e);
    }

    [Theory]
    [InlineData("2026-03-12T00:00Z", "2026-03-10T15:30Z", "2026-03-17T15:30Z")]
    [InlineData("2026-03-25T00:00Z", "2026-03-24T15:30Z", "2026-03-31T15:30Z")] // Tuesdays, not Mondays
    [InlineData("2028-02-08T16:00Z", "2028-02-08T15:30Z", "2028-02-15T15:30Z")] // 100 weeks on
    public void Rolling_Weekly_CountsWholeWeeksFromTheAnchor(string now, string start, string end)
    {
        var (s, e) = Rolling(BudgetPeriod.Weekly, "2026-03-10T15:30Z", now);

        Assert.Equal(At(start), s);
        Assert.Equal(At(end), e);
    }

    [Theory]
    [InlineData("2026-01-31T10:00Z", "2026-02-15T00:00Z", "2026-01-31T10:00Z", "2026-02-28T10:00Z")]
    [InlineData("2026-01-31T10:00Z", "2026-02-28T10:00Z", "2026-02-28T10:00Z", "2026-03-31T10:00Z")]
    [InlineData("2026-01-31T10:00Z", "2026-03-31T09:59:59Z", "2026-02-28T10:00Z", "2026-03-31T10:00Z")]
    [InlineData("2026-01-31T10:00Z", "2026-03-31T10:00Z", "2026-03-31T10:00Z", "2026-04-30T10:00Z")] // back to the 31st: no drift
    [InlineData("2026-01-31T10:00Z", "2026-05-31T10:00Z", "2026-05-31T10:00Z", "2026-06-30T10:00Z")]
    [InlineData("2026-01-31T10:00Z", "2027-01-31T10:00Z", "2027-01-31T10:00Z", "2027-02-28T10:00Z")]
    [InlineData("2026-01-31T10:00Z", "2036-02-01T00:00Z", "2036-01-31T10:00Z", "2036-02-29T10:00Z")] // ten years on, a leap February
    [InlineData("2028-01-31T10:00Z", "2028-03-01T00:00Z", "2028-02-29T10:00Z", "2028-03-31T10:00Z")]
    [InlineData("2026-03-14T10:30Z", "2026-04-14T10:29:59Z", "2026-03-14T10:30Z", "2026-04-14T10:30Z")]
    public void Rolling_Monthly_CountsCalendarMonthsFromTheAnchor_WithoutDrift(string anchor, string now, string start, string end)
    {
        var (s, e) = Rolling(BudgetPeriod.Monthly, anchor, now);

        Assert.Equal(At(start), s);
        Assert.Equal(At(end), e);
    }

    [Theory]
    [InlineData("2028-06-01T00:00Z", "2028-02-29T10:00Z", "2029-02-28T10:00Z")]
    [InlineData("2029-03-01T00:00Z", "2029-02-28T10:00Z", "2030-02-28T10:00Z")]
    [InlineData("2032-02-28T12:00Z", "2031-02-28T10:00Z", "2032-02-29T10:00Z")]
    [InlineData("2032-02-29T10:00Z", "2032-02-29T10:00Z", "2033-02-28T10:00Z")] // back to the 29th in the next leap year
    public void Rolling_Yearly_FromTheTwentyNinthOfFebruary(string now, string start, string end)
    {
        var (s, e) = Rolling(BudgetPeriod.Yearly, "2028-02-29T10:00Z", now);

        Assert.Equal(At(start), s);
        Assert.Equal(At(end), e);
    }

    [Theory]
    [InlineData(BudgetPeriod.Daily, "2026-04-02T00:00Z")]
    [InlineData(BudgetPeriod.Weekly, "2026-04-08T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-05-01T00:00Z")]
    [InlineData(BudgetPeriod.Yearly, "2027-04-01T00:00Z")]
    public void Rolling_WithTheAnchorInTheFuture_IsTheFirstWindowFromTheAnchor(BudgetPeriod period, string end)
    {
        var (s, e) = Rolling(period, "2026-04-01T00:00Z", "2026-03-10T12:00Z");

        Assert.Equal(At("2026-04-01T00:00Z"), s);
        Assert.Equal(At(end), e);
    }

    [Fact]
    public void Rolling_IgnoresTheTimeZone()
    {
        // 2026-03-29 has 23 hours in Berlin; a rolling day is still 24 hours.
        var definition = new BudgetDefinition(1m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling);
        DateTimeOffset anchor = At("2026-03-28T23:00Z");
        DateTimeOffset now = At("2026-03-29T22:30Z");

        var inBerlin = BudgetWindows.GetWindow(definition, anchor, now, Berlin);
        var inUtc = BudgetWindows.GetWindow(definition, anchor, now, TimeZoneInfo.Utc);

        Assert.Equal(anchor, inBerlin.Start);
        Assert.Equal(At("2026-03-29T23:00Z"), inBerlin.End);
        Assert.Equal(inUtc, inBerlin);
    }

    [Theory]
    [InlineData(BudgetPeriod.Monthly, "2026-01-31T23:00:00-12:00", "2026-03-01T00:00Z", "2026-01-31T23:00:00-12:00")]
    [InlineData(BudgetPeriod.Yearly, "2026-12-31T23:00:00-12:00", "2028-01-01T00:00Z", "2026-12-31T23:00:00-12:00")]
    [InlineData(BudgetPeriod.Monthly, "2026-02-01T08:00:00+14:00", "2026-03-31T20:00Z", "2026-04-01T08:00:00+14:00")]
    public void Rolling_WindowContainsNow_WhenTheAnchorHasAnotherOffsetThanNow(BudgetPeriod period, string anchor, string now, string expectedStart)
    {
        var definition = new BudgetDefinition(1m, period, BudgetWindowAlignment.Rolling);
        DateTimeOffset anchorInstant = DateTimeOffset.Parse(anchor, CultureInfo.InvariantCulture);

        var (s, e) = BudgetWindows.GetWindow(definition, anchorInstant, At(now), TimeZoneInfo.Utc);

        Assert.True(s <= At(now) && At(now) < e, $"{now} is not in [{s:o}, {e:o}).");
        Assert.Equal(DateTimeOffset.Parse(expectedStart, CultureInfo.InvariantCulture), s);
    }

    [Theory]
    [InlineData(BudgetPeriod.Daily)]
    [InlineData(BudgetPeriod.Weekly)]
    [InlineData(BudgetPeriod.Monthly)]
    [InlineData(BudgetPeriod.Yearly)]
    public void Rolling_WindowsTileTheTimeline_FromAnyUtcAnchor(BudgetPeriod period)
    {
        var random = new Random(20260310);
        var definition = new BudgetDefinition(1m, period, BudgetWindowAlignment.Rolling);
        for (int i = 0; i < 500; i++)
        {
            DateTimeOffset anchor = At("2024-01-01T00:00Z").AddMinutes(random.Next(0, 3 * 365 * 24 * 60));
            DateTimeOffset now = anchor.AddMinutes(random.Next(0, 10 * 365 * 24 * 60));

            var (s, e) = BudgetWindows.GetWindow(definition, anchor, now, TimeZoneInfo.Utc);

            Assert.True(s <= now && now < e, $"{now:o} is not in [{s:o}, {e:o}) from {anchor:o}.");
            Assert.True(s >= anchor);
            Assert.Equal(e, BudgetWindows.GetWindow(definition, anchor, e!.Value, TimeZoneInfo.Utc).Start);
        }
    }

    // ---------------------------------------------------------------- no period, arguments

    [Theory]
    [InlineData(BudgetWindowAlignment.Calendar, "2026-03-10T12:00Z")]
    [InlineData(BudgetWindowAlignment.Rolling, "2026-03-10T12:00Z")]
    [InlineData(BudgetWindowAlignment.Calendar, "2019-01-01T00:00Z")] // now before the anchor
    [InlineData(BudgetWindowAlignment.Rolling, "2045-06-01T00:00Z")]
    public void NoPeriod_ReturnsTheAnchor_AndNoEnd(BudgetWindowAlignment alignment, string now)
    {
        var (s, e) = BudgetWindows.GetWindow(new BudgetDefinition(1m, BudgetPeriod.None, alignment), AnyAnchor, At(now), Berlin);

        Assert.Equal(AnyAnchor, s);
        Assert.Null(e);
    }

    [Fact]
    public void GetWindow_RejectsNullDefinition()
    {
        ArgumentNullException ex = Assert.Throws<ArgumentNullException>(() => BudgetWindows.GetWindow((BudgetDefinition)null!, AnyAnchor, AnyAnchor, TimeZoneInfo.Utc));

        Assert.Equal("definition", ex.ParamName);
    }

    [Fact]
    public void GetWindow_RejectsNullTimeZone()
    {
        ArgumentNullException ex = Assert.Throws<ArgumentNullException>(() => BudgetWindows.GetWindow(new BudgetDefinition(1m, BudgetPeriod.Daily), AnyAnchor, AnyAnchor, null!));

        Assert.Equal("timeZone", ex.ParamName);
    }
}
