using BudgetChat.Stores;

namespace BudgetChat.Tests;

/// <summary>Ids, keys and projects with a lone surrogate are refused at every store's edge, naming the parameter, instead of being turned into U+FFFD later.</summary>
public sealed class BudgetStoreArgumentsTests
{
    // By index: a test runner passing the strings themselves would turn the surrogates into U+FFFD on the way.
    private static readonly string[] LoneSurrogates = ["\ud800", "user:\udc00", "a\ud800b", "x\udfff\ud800", "\ud83d\ude00\ud83d"];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ALoneSurrogate_IsRefused_NamingTheParameter(int index)
    {
        string bad = LoneSurrogates[index];
        Assert.Equal("project", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Project(bad)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Key("acme", bad)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Budget("acme", bad, new BudgetDefinition(1m))).ParamName);
        Assert.Equal("keys", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Reserve("acme", ["global", bad], 1m, "r1")).ParamName);
        Assert.Equal("reservationId", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Reserve("acme", ["global"], 1m, bad)).ParamName);
        Assert.Equal("reservationId", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Settle("acme", bad, 1m)).ParamName);
        Assert.Equal("reservationId", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Release("acme", bad)).ParamName);
        Assert.Equal("reservationId", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Renew("acme", bad)).ParamName);
        Assert.Equal("keys", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Charge("acme", [bad], 1m, "c1")).ParamName);
        Assert.Equal("chargeId", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Charge("acme", ["global"], 1m, bad)).ParamName);
        Assert.Contains("lone surrogate", Assert.Throws<ArgumentException>(() => BudgetStoreArguments.Key("acme", bad)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASurrogatePair_IsText()
    {
        BudgetStoreArguments.Key("acme", "user:\ud83d\ude00");
        BudgetStoreArguments.Reserve("acme", ["user:\ud83d\ude00", "global"], 1m, "r-\ud83d\ude00");
    }

    [Fact]
    public async Task TheInMemoryStore_RefusesALoneSurrogate_AndKeepsTwoUsersThatDifferThereApart()
    {
        var store = new InMemoryBudgetStore();

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SetBudgetAsync("acme", "user:\ud800", new BudgetDefinition(1m)));

        Assert.Empty(await store.ListBudgetsAsync("acme"));
    }
}
