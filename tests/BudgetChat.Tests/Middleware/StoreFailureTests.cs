using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>What the middleware does when its store cannot be reached: fail closed by default, fail open when asked.</summary>
public sealed class StoreFailureTests : BudgetingChatClientFixture
{
    // Streaming or not; a store that answers at once (in process) or after yielding (over the network).
    public static TheoryData<bool, bool> Shapes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FailsClosed_ByDefault_WithoutCallingTheModel(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(outage);
        outage.Down = true;

        var ex = await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
        Assert.Contains("model was not called", ex.Message, StringComparison.Ordinal);
        Assert.IsType<BudgetStoreUnavailableException>(ex.InnerException);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FailsClosed_WhenTheGlobalBudgetCannotBeSet(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(outage, o => o.MaxBudget = 5m);
        outage.Down = true;

        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => CallAsync(client, streaming));

        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FailsOpen_WhenAsked_CallsTheModel_AndChargesOnceTheStoreIsBack(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2), _ => outage.Down = false); // the store comes back while the model runs
        using var client = CreateClient(outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);
        outage.Down = true;

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("Hi", response.Text);
        Assert.Equal(1, InnerCalls);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FailsOpen_ReturnsTheAnswer_WhenTheStoreStaysDown_AndItsOwnOutboxChargesItLater(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);
        outage.Down = true;

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("Hi", response.Text);
        outage.Down = false;
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);

        // The client made an outbox of its own for the charge; it retries after its default delay of one second.
        Time.Advance(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 500 && (await UserBudgetAsync("alice")).Spent == 0m; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FailOpen_StillRefuses_WhenTheStoreAnswersThatTheBudgetIsSpent(bool streaming, bool asynchronousStore)
    {
        var outage = new OutageStore(Store, asynchronousStore);
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.001m));
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);

        await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
    }

    [Fact]
    public void Options_RejectAnUnknownFailureMode()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CreateClient(Store, o => o.StoreFailureMode = (BudgetStoreFailureMode)7));
        Assert.Equal(nameof(BudgetingChatClientOptions.StoreFailureMode), ex.ParamName);
    }

    private BudgetingChatClient CreateClient(IBudgetStore store, Action<BudgetingChatClientOptions>? configure = null)
    {
        var options = new BudgetingChatClientOptions();
        configure?.Invoke(options);
        return new BudgetingChatClient(Inner, store, options, Prices, Estimator, timeProvider: Time);
    }
}
