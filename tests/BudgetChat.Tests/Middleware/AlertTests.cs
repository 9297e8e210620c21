using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace BudgetChat.Tests.Middleware;

public class AlertTests : BudgetingChatClientFixture
{
    public static TheoryData<bool> Streaming => new() { false, true };

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CrossingAThreshold_RaisesOneAlertPerSink(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(1m, BudgetPeriod.Monthly, alertThresholds: [0.8m]));
        var first = Substitute.For<IBudgetAlertSink>();
        var second = Substitute.For<IBudgetAlertSink>();
        Answer("ok", Usage(100, 200));
        using var client = new BudgetingChatClient(Inner, ClientStore, new BudgetingChatClientOptions(), Prices, Estimator, timeProvider: Time, alertSinks: [first, second]);

        await CallAsync(client, streaming, ForUser("alice"));
        await CallAsync(client, streaming, ForUser("alice"));

        // 0.5 then 1.0 spent: the second call crosses 80% once.
        foreach (IBudgetAlertSink sink in new[] { first, second })
        {
            await sink.Received(1).OnBudgetAlertAsync(
                Arg.Is<BudgetAlert>(a => a.Key == "user:alice" && a.Threshold == 0.8m && a.Spent == 1.0m && a.Limit == 1m),
                Arg.Any<CancellationToken>());
        }
    }

    [Fact]
    public async Task AFailingSink_DoesNotFailTheCall_OrStopOtherSinks()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(1m, alertThresholds: [0.1m]));
        var failing = new FailingSink();
        var working = Substitute.For<IBudgetAlertSink>();
        Answer("ok", Usage(100, 200));
        using var client = new BudgetingChatClient(Inner, ClientStore, new BudgetingChatClientOptions(), Prices, Estimator, timeProvider: Time, alertSinks: [failing, working]);

        ChatResponse response = await client.GetResponseAsync("hi", ForUser("alice"));

        Assert.Equal("ok", response.Text);
        await working.ReceivedWithAnyArgs(1).OnBudgetAlertAsync(default!, default);
    }

    [Fact]
    public async Task UseBudget_SendsAlertsToTheSinksInTheContainer()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(1m, alertThresholds: [0.1m]));
        var sink = Substitute.For<IBudgetAlertSink>();
        Answer("ok", Usage(100, 200));
        var collection = new ServiceCollection().AddSingleton<IBudgetStore>(Store).AddSingleton(Prices).AddSingleton(Estimator).AddSingleton(sink).AddBudgetChat();
        collection.AddChatClient(Inner).UseBudget();
        using ServiceProvider services = collection.BuildServiceProvider();

        await services.GetRequiredService<IChatClient>().GetResponseAsync("hi", ForUser("alice"));

        Assert.Contains(services.GetServices<IBudgetAlertSink>(), s => s is LoggingBudgetAlertSink);
        await sink.ReceivedWithAnyArgs(1).OnBudgetAlertAsync(default!, default);
    }

    private sealed class FailingSink : IBudgetAlertSink
    {
        public ValueTask OnBudgetAlertAsync(BudgetAlert alert, CancellationToken cancellationToken) => throw new InvalidOperationException("pager down");
    }
}
