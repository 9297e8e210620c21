using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

public sealed class BudgetCallKeysTests
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "hello")];

    [Fact]
    public void Keys_AreTheUser_TheGlobalBudget_ThenTheResolversKeys_WithoutRepeats()
    {
        var options = new BudgetingChatClientOptions { AdditionalKeysResolver = _ => ["team:a", "global", "team:a", "team:b"] };

        string[] keys = BudgetCallKeys.Resolve("alice", hasGlobalBudget: true, options, Messages, null);

        Assert.Equal(["user:alice", "global", "team:a", "team:b"], keys);
    }

    [Fact]
    public void ABlankResolverKey_IsRefused_NamingTheResolver()
    {
        var options = new BudgetingChatClientOptions { AdditionalKeysResolver = _ => ["team:a", " "] };

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => BudgetCallKeys.Resolve("alice", false, options, Messages, null));
        Assert.Contains("AdditionalKeysResolver", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob", "bob")]
    [InlineData(null, "resolved")]
    public void TheUser_IsTheOneTheCallNames_ElseTheResolvers(string? named, string expected)
    {
        var options = new BudgetingChatClientOptions { UserIdResolver = _ => "resolved" };

        Assert.Equal(expected, BudgetCallKeys.ResolveUser(named, options, Messages, null));
    }

    [Fact]
    public void ABlankResolvedUser_IsNoUser()
    {
        var options = new BudgetingChatClientOptions { UserIdResolver = _ => "  " };

        Assert.Null(BudgetCallKeys.ResolveUser(null, options, Messages, null));
        Assert.Empty(BudgetCallKeys.Resolve(null, hasGlobalBudget: false, options, Messages, null));
    }
}
