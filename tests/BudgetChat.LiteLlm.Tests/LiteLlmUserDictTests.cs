using System.Globalization;

namespace BudgetChat.LiteLlm.Tests;

/// <summary>The one naming of budgets and reading of units in LiteLLM's user_dict, shared by the file store, the service and the hosted client.</summary>
public sealed class LiteLlmUserDictTests
{
    [Fact]
    public void Names_MapBudgetKeysBothWays_WithoutCollisions()
    {
        string[] keys = ["user:alice", "user:", "user: ", "global", "team:a", "user:budgetchat", "user:budgetchat:global", "budgetchat:x", "User:x"];

        string[] names = [.. keys.Select(LiteLlmUserDict.ToName)];

        Assert.Equal(
            ["alice", "budgetchat:user:", "budgetchat:user: ", "budgetchat:global", "budgetchat:team:a", "budgetchat:user:budgetchat", "budgetchat:user:budgetchat:global", "budgetchat:budgetchat:x", "budgetchat:User:x"],
            names);
        Assert.Equal(keys, names.Select(LiteLlmUserDict.ToKey));
        Assert.Equal(keys.Length, names.Distinct().Count());
    }

    [Fact]
    public void Names_AreNeverBlank_NorTheMetadataName()
    {
        string[] keys = ["user:", "user: ", "user:\t", "user:budgetchat"];

        string[] names = [.. keys.Select(LiteLlmUserDict.ToName)];

        Assert.All(names, n => Assert.False(string.IsNullOrWhiteSpace(n)));
        Assert.DoesNotContain(LiteLlmUserDict.MetadataName, names);
    }

    [Fact]
    public void ToKey_ReadsTheBlankNameOlderFilesHold_AsTheBlankUser()
    {
        Assert.Equal("user:", LiteLlmUserDict.ToKey(string.Empty));
    }

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
    public void PeriodOfDays_IsNull_ForDaysLiteLlmNeverWrites(string days)
    {
        Assert.Null(LiteLlmUserDict.PeriodOfDays(decimal.Parse(days, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void PeriodOfDays_ReadsBackEveryDurationDays()
    {
        BudgetPeriod[] periods = [BudgetPeriod.Daily, BudgetPeriod.Weekly, BudgetPeriod.Monthly, BudgetPeriod.Yearly];

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
}
