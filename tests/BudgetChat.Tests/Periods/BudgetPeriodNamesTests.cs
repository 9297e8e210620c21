using BudgetChat.Stores;
namespace BudgetChat.Tests;

/// <summary>The names of periods and window alignments in the file store's files and the SQLite store's rows.</summary>
public sealed class BudgetPeriodNamesTests
{
    [Theory]
    [InlineData(BudgetPeriod.None, "none")]
    [InlineData(BudgetPeriod.Daily, "daily")]
    [InlineData(BudgetPeriod.Weekly, "weekly")]
    [InlineData(BudgetPeriod.Monthly, "monthly")]
    [InlineData(BudgetPeriod.Yearly, "yearly")]
    public void Period_IsWrittenAsItsName_AndReadBack(BudgetPeriod period, string name)
    {
        Assert.Equal(name, BudgetPeriodNames.ToName(period));
        Assert.Equal(period, BudgetPeriodNames.Parse(name));
    }

    [Fact]
    public void EveryPeriod_HasItsOwnName()
    {
        BudgetPeriod[] periods = Enum.GetValues<BudgetPeriod>();

        Assert.Equal(periods, periods.Select(p => BudgetPeriodNames.Parse(BudgetPeriodNames.ToName(p))));
        Assert.Equal(periods.Length, periods.Select(p => BudgetPeriodNames.ToName(p)).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(BudgetWindowAlignment.Calendar, "calendar")]
    [InlineData(BudgetWindowAlignment.Rolling, "rolling")]
    public void Alignment_IsWrittenAsItsName_AndReadBack(BudgetWindowAlignment alignment, string name)
    {
        Assert.Equal(name, BudgetPeriodNames.ToName(alignment));
        Assert.Equal(alignment, BudgetPeriodNames.ParseAlignment(name));
    }

    [Fact]
    public void EveryAlignment_HasItsOwnName()
    {
        BudgetWindowAlignment[] alignments = Enum.GetValues<BudgetWindowAlignment>();

        Assert.Equal(alignments, alignments.Select(a => BudgetPeriodNames.ParseAlignment(BudgetPeriodNames.ToName(a))));
        Assert.Equal(alignments.Length, alignments.Select(a => BudgetPeriodNames.ToName(a)).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("fortnightly")]
    [InlineData("Daily")]
    [InlineData("")]
    [InlineData("calendar")]
    public void Parse_RefusesAnUnknownPeriod(string name)
    {
        FormatException ex = Assert.Throws<FormatException>(() => BudgetPeriodNames.Parse(name));
        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lunar")]
    [InlineData("Rolling")]
    [InlineData("")]
    [InlineData("daily")]
    public void ParseAlignment_RefusesAnUnknownAlignment(string name)
    {
        FormatException ex = Assert.Throws<FormatException>(() => BudgetPeriodNames.ParseAlignment(name));
        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
    }
}
