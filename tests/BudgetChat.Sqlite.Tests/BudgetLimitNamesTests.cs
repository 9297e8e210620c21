using BudgetChat.Sqlite;

namespace BudgetChat.Sqlite.Tests;

/// <summary>The names of limit units and enforcements in the SQLite store's rows.</summary>
public sealed class BudgetLimitNamesTests
{
    [Fact]
    public void UnitsAndEnforcements_AreWrittenAsTheirNames_AndReadBack()
    {
        Assert.Equal(
            ["dollars", "tokens", "requests"],
            Enum.GetValues<BudgetUnit>().Select(BudgetLimitNames.ToName));
        Assert.Equal(Enum.GetValues<BudgetUnit>(), Enum.GetValues<BudgetUnit>().Select(u => BudgetLimitNames.ParseUnit(BudgetLimitNames.ToName(u))));
        Assert.Equal(
            ["enforce", "observe"],
            Enum.GetValues<BudgetEnforcement>().Select(BudgetLimitNames.ToName));
        Assert.Equal(Enum.GetValues<BudgetEnforcement>(), Enum.GetValues<BudgetEnforcement>().Select(e => BudgetLimitNames.ParseEnforcement(BudgetLimitNames.ToName(e))));
    }

    [Theory]
    [InlineData("Tokens")]
    [InlineData("usd")]
    [InlineData("")]
    public void UnknownNames_AreRefused_NamingThem(string name)
    {
        Assert.Contains($"'{name}'", Assert.Throws<FormatException>(() => BudgetLimitNames.ParseUnit(name)).Message, StringComparison.Ordinal);
        Assert.Contains($"'{name}'", Assert.Throws<FormatException>(() => BudgetLimitNames.ParseEnforcement(name)).Message, StringComparison.Ordinal);
    }
}
