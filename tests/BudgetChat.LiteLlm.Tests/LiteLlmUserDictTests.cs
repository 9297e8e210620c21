using System.Globalization;

namespace BudgetChat.LiteLlm.Tests;

/// <summary>The one naming of budgets and reading of units in LiteLLM's user_dict, shared by the file store, the service and the hosted client.</summary>
public sealed class LiteLlmUserDictTests
{
    [Fact]
    public void Names_AreTheUsersOwn_NoNameIsReserved()
    {
        string[] keys = ["user:alice", "user:budgetchat", "user:budgetchat:global", "user:budgetchat:user:x", "user:", "user: "];

        string[] names = [.. keys.Select(k => LiteLlmUserDict.ToName(k)!)];

        Assert.Equal<string>(["alice", "budgetchat", "budgetchat:global", "budgetchat:user:x", "", " "], names);
        Assert.Equal(keys, names.Select(LiteLlmUserDict.ToKey));
    }

    [Theory]
    [InlineData("global")]
    [InlineData("team:search")]
    [InlineData("budgetchat:x")]
    [InlineData("User:x")]
    public void ToName_IsNull_ForBudgetsThatAreNoUser(string key)
    {
        Assert.Null(LiteLlmUserDict.ToName(key));
    }

    [Theory]
    [InlineData("1", 0, 23.99, false)]
    [InlineData("1", 0, 24, true)]
    [InlineData("1", -72, 0, true)] // the issue's dict: last_updated_at three days ago
    [InlineData("28", 0, 28 * 24 - 0.01, false)]
    [InlineData("28", 0, 28 * 24, true)]
    [InlineData("31", 0, 30 * 24, false)]
    public void HasEnded_IsLiteLlmsResetRule_NowMinusLastUpdatedAtReachesTheDuration(string days, double lastUpdatedHours, double nowHours, bool ended)
    {
        DateTimeOffset origin = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        bool actual = LiteLlmUserDict.HasEnded(decimal.Parse(days, CultureInfo.InvariantCulture), origin.AddHours(lastUpdatedHours), origin.AddHours(nowHours));

        Assert.Equal(ended, actual);
    }

    /// <summary>
    /// Windows of every period and alignment, across month ends (31 Jan into February, 29 Feb of a leap year), a year
    /// end and both daylight saving changes of Berlin: LiteLLM's arithmetic on what is published
    /// (<c>last_updated_at + duration × 86,400</c>) must end each exactly where the store ends it.
    /// </summary>
    [Theory]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "UTC", "2024-01-31T12:00:00Z", 31)]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "UTC", "2024-02-29T12:00:00Z", 29)]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "UTC", "2025-02-14T00:00:00Z", 28)]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "UTC", "2026-04-30T23:59:59Z", 30)]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "UTC", "2025-12-31T23:00:00Z", 31)]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2026-03-15T12:00:00Z", 31)] // 30 days 23 hours
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2026-10-15T12:00:00Z", 31)] // 31 days 1 hour
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2026-03-29T12:00:00Z", 1)] // 23 hours
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2026-10-25T12:00:00Z", 1)] // 25 hours
    [InlineData(BudgetPeriod.Weekly, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2026-03-26T12:00:00Z", 7)]
    [InlineData(BudgetPeriod.Yearly, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2024-12-31T22:30:00Z", 366)]
    [InlineData(BudgetPeriod.Yearly, BudgetWindowAlignment.Calendar, "UTC", "2025-12-31T23:59:59Z", 365)]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling, "UTC", "2024-02-10T00:00:00Z", 29)] // from 31 Jan: to 29 Feb
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling, "UTC", "2024-03-10T00:00:00Z", 31)] // 29 Feb to 31 Mar
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Rolling, "Europe/Berlin", "2026-03-29T12:00:00Z", 1)]
    [InlineData(BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling, "UTC", "2025-12-30T00:00:00Z", 7)]
    [InlineData(BudgetPeriod.Yearly, BudgetWindowAlignment.Rolling, "UTC", "2025-01-15T00:00:00Z", 366)] // from 31 Jan 2024, over 29 Feb
    [InlineData(BudgetPeriod.Yearly, BudgetWindowAlignment.Rolling, "UTC", "2025-03-01T00:00:00Z", 365)]
    public void ToLiteLlmWindow_MakesLiteLlmResetExactlyAtTheWindowEnd(BudgetPeriod period, BudgetWindowAlignment alignment, string timeZone, string now, int days)
    {
        var anchor = new DateTimeOffset(2024, 1, 31, 9, 30, 0, TimeSpan.Zero);
        var definition = new BudgetDefinition(10m, period, alignment);
        DateTimeOffset instant = DateTimeOffset.Parse(now, CultureInfo.InvariantCulture);
        (DateTimeOffset start, DateTimeOffset? end) = BudgetWindows.GetWindow(definition, anchor, instant, TimeZoneInfo.FindSystemTimeZoneById(timeZone));
        BudgetState budget = State(definition, start, end);

        (decimal duration, DateTimeOffset lastUpdatedAt) = LiteLlmUserDict.ToLiteLlmWindow(budget)!.Value;

        Assert.Equal(days, duration);
        Assert.Equal(LiteLlmUserDict.ToUnixSeconds(end!.Value), LiteLlmUserDict.ToUnixSeconds(lastUpdatedAt) + (duration * 86_400m));
        Assert.False(LiteLlmUserDict.HasEnded(duration, lastUpdatedAt, end.Value.AddTicks(-1)));
        Assert.True(LiteLlmUserDict.HasEnded(duration, lastUpdatedAt, end.Value));
        Assert.Equal(period, LiteLlmUserDict.PeriodOfDays(duration));
        Assert.True((lastUpdatedAt - start).Duration() <= TimeSpan.FromHours(1));
    }

    /// <summary>
    /// An hour or a minute is published as a fraction of a day. LiteLLM reads it as a Python float and computes
    /// <c>duration * 24 * 60 * 60</c>: exactly 3,600 or 60 seconds, so its reset comes at the window's end, in a time zone
    /// with daylight saving as well; and what it writes back (the float's shortest text) reads as the same period.
    /// </summary>
    [Theory]
    [InlineData(BudgetPeriod.Hourly, BudgetWindowAlignment.Calendar, "UTC", "2026-03-10T12:34:56Z", 3_600)]
    [InlineData(BudgetPeriod.Hourly, BudgetWindowAlignment.Calendar, "Europe/Berlin", "2026-03-29T01:30:00Z", 3_600)] // the first hour after Berlin skips 02:00 to 03:00
    [InlineData(BudgetPeriod.Hourly, BudgetWindowAlignment.Rolling, "UTC", "2026-03-10T12:34:56Z", 3_600)]
    [InlineData(BudgetPeriod.Minutely, BudgetWindowAlignment.Calendar, "UTC", "2026-03-10T12:34:56Z", 60)]
    [InlineData(BudgetPeriod.Minutely, BudgetWindowAlignment.Rolling, "Europe/Berlin", "2026-10-25T00:59:59Z", 60)]
    public void ToLiteLlmWindow_OfAnHourOrAMinute_IsTheFractionOfADayThatLiteLlmsFloatsMakeExact(BudgetPeriod period, BudgetWindowAlignment alignment, string timeZone, string now, double seconds)
    {
        var anchor = new DateTimeOffset(2024, 1, 31, 9, 30, 15, TimeSpan.Zero);
        var definition = new BudgetDefinition(10m, period, alignment);
        (DateTimeOffset start, DateTimeOffset? end) = BudgetWindows.GetWindow(definition, anchor, DateTimeOffset.Parse(now, CultureInfo.InvariantCulture), TimeZoneInfo.FindSystemTimeZoneById(timeZone));

        (decimal duration, DateTimeOffset lastUpdatedAt) = LiteLlmUserDict.ToLiteLlmWindow(State(definition, start, end))!.Value;

        double pythonDuration = double.Parse(duration.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        Assert.Equal(seconds, pythonDuration * 24 * 60 * 60);
        Assert.Equal(start, lastUpdatedAt);
        Assert.Equal(end, lastUpdatedAt.AddSeconds(seconds));
        Assert.False(LiteLlmUserDict.HasEnded(duration, lastUpdatedAt, end!.Value.AddTicks(-1)));
        Assert.True(LiteLlmUserDict.HasEnded(duration, lastUpdatedAt, end.Value));
        Assert.Equal(period, LiteLlmUserDict.PeriodOfDays(duration));
        Assert.Equal(period, LiteLlmUserDict.PeriodOfDays(decimal.Parse(pythonDuration.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void ToLiteLlmWindow_IsNull_ForABudgetWithoutPeriod()
    {
        Assert.Null(LiteLlmUserDict.ToLiteLlmWindow(State(new BudgetDefinition(10m), DateTimeOffset.UnixEpoch, null)));
    }

    private static BudgetState State(BudgetDefinition definition, DateTimeOffset start, DateTimeOffset? end) => new()
    {
        Project = "p",
        Key = "user:alice",
        Definition = definition,
        WindowStart = start,
        WindowEnd = end,
        Spent = 0m,
        Reserved = 0m,
        SpendByModel = new Dictionary<string, decimal>(),
        CreatedAt = start,
        UpdatedAt = start,
    };

    [Theory]
    [InlineData(BudgetPeriod.Daily, 1)]
    [InlineData(BudgetPeriod.Weekly, 7)]
    [InlineData(BudgetPeriod.Monthly, 28)]
    [InlineData(BudgetPeriod.Yearly, 365)]
    public void DurationDays_AreTheDaysLiteLlmsCreateBudgetWrites(BudgetPeriod period, int days)
    {
        Assert.Equal(days, LiteLlmUserDict.DurationDays(period));
    }

    [Fact]
    public void DurationDays_OfAnHourAndAMinute_AreFractionsOfADay_AndABudgetWithoutPeriodHasNone()
    {
        Assert.Equal(1m / 24m, LiteLlmUserDict.DurationDays(BudgetPeriod.Hourly));
        Assert.Equal(1m / 1440m, LiteLlmUserDict.DurationDays(BudgetPeriod.Minutely));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiteLlmUserDict.DurationDays(BudgetPeriod.None));
    }

    [Fact]
    public void ToUnixSeconds_IsExactToTheTick()
    {
        var instant = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.FromHours(1)).AddTicks(1_234_567);

        Assert.Equal(1773140400.1234567m, LiteLlmUserDict.ToUnixSeconds(instant));
    }

    [Theory]
    [InlineData("1", BudgetPeriod.Daily)]
    [InlineData("1.0", BudgetPeriod.Daily)]
    [InlineData("7", BudgetPeriod.Weekly)]
    [InlineData("28", BudgetPeriod.Monthly)]
    [InlineData("30", BudgetPeriod.Monthly)]
    [InlineData("31", BudgetPeriod.Monthly)]
    [InlineData("365", BudgetPeriod.Yearly)]
    [InlineData("366", BudgetPeriod.Yearly)]
    [InlineData("0.0416666666666666666666666667", BudgetPeriod.Hourly)] // as DurationDays writes it
    [InlineData("0.041666666666666664", BudgetPeriod.Hourly)] // as Python writes it back
    [InlineData("0.041666666666667", BudgetPeriod.Hourly)]
    [InlineData("0.0006944444444444444444444444", BudgetPeriod.Minutely)]
    [InlineData("0.0006944444444444445", BudgetPeriod.Minutely)]
    public void PeriodOfDays_ReadsTheDurationsLiteLlmAndCalendarsCount(string days, BudgetPeriod period)
    {
        Assert.Equal(period, LiteLlmUserDict.PeriodOfDays(decimal.Parse(days, CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("0.5")]
    [InlineData("1.5")]
    [InlineData("6.6")]
    [InlineData("27")]
    [InlineData("29.5")]
    [InlineData("32")]
    [InlineData("364")]
    [InlineData("0.04")]
    [InlineData("0.0417")]
    [InlineData("0.000694")]
    [InlineData("0.083333333333333333")] // two hours
    public void PeriodOfDays_IsNull_ForDaysLiteLlmNeverWrites(string days)
    {
        Assert.Null(LiteLlmUserDict.PeriodOfDays(decimal.Parse(days, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void PeriodOfDays_ReadsBackEveryDurationDays()
    {
        BudgetPeriod[] periods = [BudgetPeriod.Minutely, BudgetPeriod.Hourly, BudgetPeriod.Daily, BudgetPeriod.Weekly, BudgetPeriod.Monthly, BudgetPeriod.Yearly];

        Assert.All(periods, p => Assert.Equal(p, LiteLlmUserDict.PeriodOfDays(LiteLlmUserDict.DurationDays(p))));
    }

    [Fact]
    public void FromUnixSeconds_IsExactToTheTick_AndTheInverseOfToUnixSeconds()
    {
        var instant = new DateTimeOffset(2026, 3, 10, 11, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);

        Assert.Equal(instant, LiteLlmUserDict.FromUnixSeconds(1773140400.1234567m));
        Assert.Equal(instant, LiteLlmUserDict.FromUnixSeconds(LiteLlmUserDict.ToUnixSeconds(instant)));
        Assert.Equal(TimeSpan.Zero, LiteLlmUserDict.FromUnixSeconds(0m)!.Value.Offset);
    }

    [Fact]
    public void FromUnixSeconds_RoundsToTheNearestTick()
    {
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(1), LiteLlmUserDict.FromUnixSeconds(0.00000006m));
        Assert.Equal(DateTimeOffset.UnixEpoch, LiteLlmUserDict.FromUnixSeconds(0.00000004m));
    }

    [Theory]
    [InlineData("-1", "1969-12-31T23:59:59+00:00")]
    [InlineData("-62135596800", "0001-01-01T00:00:00+00:00")]
    [InlineData("100000000000", "5138-11-16T09:46:40+00:00")]
    public void FromUnixSeconds_ReadsEveryInstantInRange(string seconds, string instant)
    {
        Assert.Equal(
            DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture),
            LiteLlmUserDict.FromUnixSeconds(decimal.Parse(seconds, CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("1773140400123")] // milliseconds
    [InlineData("100000000000.0000001")]
    [InlineData("-62135596801")] // before 0001-01-01
    [InlineData("-100000000001")]
    [InlineData("1e20")]
    public void FromUnixSeconds_IsNull_ForNumbersThatAreNoTime(string seconds)
    {
        Assert.Null(LiteLlmUserDict.FromUnixSeconds(decimal.Parse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void ToDefinition_OfANewBudget_IsTheEntrysLimitAlone()
    {
        Assert.Equal(new BudgetDefinition(10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), LiteLlmUserDict.ToDefinition(null, 10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling));
    }

    [Fact]
    public void ToDefinition_OfABudgetWithPolicies_ChangesTheMainLimitOnly()
    {
        BudgetLimit premium = BudgetLimit.Dollars(1m, BudgetPeriod.Daily).ForModels(["gpt-4o"], "premium");
        BudgetLimit tokens = BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely);
        var existing = new BudgetDefinition([BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), premium, tokens], [0.8m], BudgetEnforcement.Observe);

        BudgetDefinition changed = LiteLlmUserDict.ToDefinition(existing, 12m, BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling);

        Assert.Equal(new BudgetDefinition([BudgetLimit.Dollars(12m, BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling), premium, tokens], [0.8m], BudgetEnforcement.Observe), changed);
        Assert.Equal("weekly", changed.Limits[0].Name); // named after its period, as it was
    }

    [Fact]
    public void ToDefinition_KeepsAMainLimitsOwnName_AndNamesItApartFromAnotherLimitOfItsNewPeriod()
    {
        var named = new BudgetDefinition([new BudgetLimit(10m, BudgetPeriod.Monthly, name: "team"), BudgetLimit.Dollars(1m, BudgetPeriod.Daily)]);
        var plain = new BudgetDefinition([BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), BudgetLimit.Dollars(1m, BudgetPeriod.Daily)]);

        Assert.Equal(["team", "daily"], LiteLlmUserDict.ToDefinition(named, 5m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling).Limits.Select(l => l.Name));
        Assert.Equal(["daily (main)", "daily"], LiteLlmUserDict.ToDefinition(plain, 5m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling).Limits.Select(l => l.Name));
    }
}
