using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>A user id from the options with a lone surrogate is refused (it would become U+FFFD and merge users), before the model is called.</summary>
public sealed class UserIdTextTests : BudgetingChatClientFixture
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AUserWithALoneSurrogate_IsRefused_BeforeTheModelIsCalled(bool streaming)
    {
        using var client = CreateClient(o => o.MaxBudget = 10m);

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(client, streaming, ForUser("alice\ud800")));

        Assert.Contains("lone surrogate", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, InnerCalls);
        Assert.Null(await Store.GetBudgetAsync(BudgetingChatClientOptions.DefaultProjectName, BudgetKeys.ForUser("alice\ufffd")));
        await AssertNothingHeldAsync();
    }
}
