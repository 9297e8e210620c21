namespace BudgetChat.Tests;

/// <summary>The one naming of budgets in LiteLLM's user_dict, shared by the file store, the service and the hosted client.</summary>
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
}
