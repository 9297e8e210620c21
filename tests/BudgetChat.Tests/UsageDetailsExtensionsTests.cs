using Microsoft.Extensions.AI;

namespace BudgetChat.Tests;

public sealed class UsageDetailsExtensionsTests
{
    [Theory]
    [InlineData(100L, 20L, true)]
    [InlineData(100L, null, true)]
    [InlineData(null, 20L, true)]
    [InlineData(0L, null, true)]
    [InlineData(null, null, false)]
    public void HasTokenCounts_IsTrue_WhenInputOrOutputTokensAreCounted(long? input, long? output, bool expected)
    {
        var usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = 120 };

        Assert.Equal(expected, usage.HasTokenCounts());
    }

    [Fact]
    public void HasTokenCounts_IsFalse_WithoutUsage()
    {
        UsageDetails? usage = null;

        Assert.False(usage.HasTokenCounts());
    }
}
