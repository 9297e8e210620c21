using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Pricing;

public sealed class ModelPriceTests
{
    private static readonly ModelPrice Priced = new(inputCostPerToken: 0.000002m, outputCostPerToken: 0.000008m)
    {
        CachedInputCostPerToken = 0.0000005m,
        ReasoningCostPerToken = 0.00001m,
    };

    [Fact]
    public void Cost_ChargesCachedInputAtTheCacheReadPrice_AndTheRestAtTheInputPrice()
    {
        // 1,000 input of which 600 cached: 400 × 2e-6 + 600 × 5e-7.
        Assert.Equal(0.0008m + 0.0003m, Priced.GetCost(inputTokens: 1_000, outputTokens: 0, cachedInputTokens: 600));
    }

    [Fact]
    public void Cost_ChargesReasoningAtTheReasoningPrice_AndTheRestAtTheOutputPrice()
    {
        // 500 output of which 200 reasoning: 300 × 8e-6 + 200 × 1e-5.
        Assert.Equal(0.0024m + 0.002m, Priced.GetCost(inputTokens: 0, outputTokens: 500, reasoningTokens: 200));
    }

    [Fact]
    public void Cost_ChargesCachedAndReasoningTokensAsOrdinary_WhenTheModelListsNoSpecialPrice()
    {
        var plain = new ModelPrice(0.000002m, 0.000008m);

        Assert.Equal(plain.GetCost(1_000, 500), plain.GetCost(1_000, 500, cachedInputTokens: 600, reasoningTokens: 200));
    }

    [Fact]
    public void Cost_FromUsageDetails_CountsEachTokenOnce()
    {
        var usage = new UsageDetails { InputTokenCount = 1_000, CachedInputTokenCount = 600, OutputTokenCount = 500, ReasoningTokenCount = 200, TotalTokenCount = 1_500 };

        Assert.Equal(Priced.GetCost(1_000, 500, 600, 200), Priced.GetCost(usage));
        Assert.Equal(0.0008m + 0.0003m + 0.0024m + 0.002m, Priced.GetCost(usage));
    }

    [Fact]
    public void Cost_ClampsPartsLargerThanTheirTotal_InsteadOfChargingANegativeAmount()
    {
        Assert.Equal(1_000 * 0.0000005m, Priced.GetCost(inputTokens: 1_000, outputTokens: 0, cachedInputTokens: 5_000));
    }

    [Fact]
    public void Cost_IsExactInDecimal()
    {
        var tiny = new ModelPrice(0.0000001m, 0.0000003m);
        decimal sum = 0m;
        for (int i = 0; i < 10_000; i++)
        {
            sum += tiny.GetCost(1, 1);
        }

        Assert.Equal(0.004m, sum);
    }

    [Fact]
    public void WorstCaseCost_ChargesAllOutputAtTheHigherOfTheOutputAndReasoningPrices()
    {
        Assert.Equal(Priced.GetCost(1_000, 0) + (500 * 0.00001m), Priced.GetWorstCaseCost(1_000, 500));

        var cheapReasoning = Priced with { ReasoningCostPerToken = 0.000001m };
        Assert.Equal(cheapReasoning.GetCost(1_000, 0) + (500 * 0.000008m), cheapReasoning.GetWorstCaseCost(1_000, 500));
    }

    [Fact]
    public void With_CostsAtTheNewPrices()
    {
        ModelPrice cheaper = Priced with { CachedInputCostPerToken = 0.0000001m, ReasoningCostPerToken = 0.00002m };

        Assert.Equal((400 * 0.000002m) + (600 * 0.0000001m) + (300 * 0.000008m) + (200 * 0.00002m), cheaper.GetCost(1_000, 500, 600, 200));
        Assert.Equal(0.0008m + 0.0003m + 0.0024m + 0.002m, Priced.GetCost(1_000, 500, 600, 200));
    }

    [Fact]
    public void Equality_ComparesPriceValues_NotHowTheyAreWritten()
    {
        var written = new ModelPrice(0.0000025m, 0.00001m) { CachedInputCostPerToken = 0.00000125m };
        var padded = new ModelPrice(0.00000250m, 0.0000100m) { CachedInputCostPerToken = 0.000001250m };

        Assert.Equal(written, padded);
        Assert.Equal(written.GetHashCode(), padded.GetHashCode());
        Assert.NotEqual(written, written with { ReasoningCostPerToken = 0.00001m });
        Assert.NotEqual(written, written with { MaxOutputTokens = 16_384 });
    }

    [Fact]
    public void PerMillionTokens_ConvertsPublishedPrices()
    {
        ModelPrice price = ModelPrice.PerMillionTokens(2.5m, 10m);

        Assert.Equal(0.0000025m, price.InputCostPerToken);
        Assert.Equal(0.00001m, price.OutputCostPerToken);
    }

    [Fact]
    public void RejectsNegativePricesAndCounts_NamingTheParameter()
    {
        Assert.Equal("inputCostPerToken", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPrice(-1m, 1m)).ParamName);
        Assert.Equal("CachedInputCostPerToken", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPrice(1m, 1m) { CachedInputCostPerToken = -1m }).ParamName);
        Assert.Equal("MaxOutputTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPrice(1m, 1m) { MaxOutputTokens = 0 }).ParamName);
        Assert.Equal("outputTokens", Assert.Throws<ArgumentOutOfRangeException>(() => Priced.GetCost(1, -1)).ParamName);
    }
}
