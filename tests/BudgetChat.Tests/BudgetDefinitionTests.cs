namespace BudgetChat.Tests;

public sealed class BudgetDefinitionTests
{
    [Fact]
    public void AlertThresholds_UpToTheMaximum_AreAccepted()
    {
        var definition = new BudgetDefinition(5m, alertThresholds: [0.8m, BudgetDefinition.MaxAlertThreshold]);

        Assert.Equal([0.8m, 1_000m], definition.AlertThresholds);
    }

    [Theory]
    [InlineData(1_000.01)]
    [InlineData(5_000)]
    public void AlertThresholds_AboveTheMaximum_AreRefused_NamingThem_AsTheBudgetServiceRefusesThem(double threshold)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetDefinition(5m, alertThresholds: [0.8m, (decimal)threshold]));

        Assert.Equal("alertThresholds", ex.ParamName);
        Assert.Contains("1000", ex.Message, StringComparison.Ordinal);
    }
}
