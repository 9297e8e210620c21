using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>The spend ledger as the middleware writes it: one record per call, whatever way the call ends.</summary>
public sealed class SpendRecordTests : BudgetingChatClientFixture
{
    private const string Cheap = "cheap-model";

    public SpendRecordTests() =>
        Prices.SetPrice(Cheap, new ModelPrice(InputPrice / 10, OutputPrice / 10) { MaxOutputTokens = ModelMaxOutput });

    public static TheoryData<bool> Streaming => new() { false, true };

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task AChargedCall_LeavesOneRecord_WithWhoWhatHowMuchAndHowLong(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 10m);
        Answer("Hi there", Usage(input: 12, output: 7, cached: 4, reasoning: 3), _ => Time.Advance(TimeSpan.FromMilliseconds(250)));
        using BudgetingChatClient client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Charged, record.Outcome);
        Assert.Equal(BudgetSpendMarks.None, record.Marks);
        Assert.Equal(["user:alice"], record.Keys);
        Assert.Equal("alice", record.User);
        Assert.Equal(Model, record.RequestedModel);
        Assert.Equal(Model, record.Model);
        Assert.Equal(12, record.InputTokens);
        Assert.Equal(4, record.CachedInputTokens);
        Assert.Equal(7, record.OutputTokens);
        Assert.Equal(3, record.ReasoningTokens);
        Assert.Equal(19, record.Tokens);
        Assert.Equal(ModelPriceCost(12, 7, cached: 4, reasoning: 3), record.Cost);
        Assert.Equal(WorstCase, record.Held);
        Assert.Equal(TimeSpan.FromMilliseconds(250), record.Duration);
        Assert.Equal(Time.GetUtcNow(), record.Time);
        Assert.NotNull(record.Id);
        Assert.Null(record.MaxOutputTokens);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ACallWithoutUsage_IsRecordedAsEstimated_WithTheReason(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 10m);
        Answer("12345678", usage: null);
        using BudgetingChatClient client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Estimated, record.Outcome);
        Assert.Equal("no usage reported", record.Reason);
        Assert.Equal(InputTokens, record.InputTokens);
        Assert.Equal(8, record.OutputTokens);
        Assert.Equal(Cost(InputTokens, 8), record.Cost);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ARefusedCall_IsRecorded_WithTheKeyAndWindowThatRefusedIt(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 0.01m);
        using BudgetingChatClient client = CreateClient(o => o.ReduceMaxOutputTokensToFit = false);

        await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Refused, record.Outcome);
        Assert.Equal("user:alice", record.RefusedKey);
        Assert.Equal("total", record.RefusedWindow);
        Assert.Equal(0m, record.Cost);
        Assert.Equal("alice", record.User);
        Assert.Equal(Model, record.Model);
        Assert.Contains("$0.01", record.Reason, StringComparison.Ordinal);
        Assert.Equal(["user:alice"], record.Keys);
    }

    [Fact]
    public async Task ACallForAUserWithoutBudget_IsRecordedAsRefused_NamingTheMissingKey()
    {
        using BudgetingChatClient client = CreateClient();

        await Assert.ThrowsAsync<BudgetNotFoundException>(() => client.GetResponseAsync("hi", ForUser("nobody")));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Refused, record.Outcome);
        Assert.Equal("user:nobody", record.RefusedKey);
        Assert.Equal("no budget", record.Reason);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task AFailedCall_IsRecordedAsReleased_WithWhatItHeld(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 10m);
        Inner.GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("provider down");
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => FailingStream();
        using BudgetingChatClient client = CreateClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => CallAsync(client, streaming, ForUser("alice")));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Released, record.Outcome);
        Assert.Equal("failed", record.Reason);
        Assert.Equal(WorstCase, record.Held);
        Assert.Equal(0m, record.Cost);
        Assert.NotNull(record.Id);
    }

    [Fact]
    public async Task AFailedCheckThenChargeCall_IsRecordedAsReleased_HoldingNothing()
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 10m);
        Inner.GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("provider down");
        using BudgetingChatClient client = CreateClient(o => o.Mode = BudgetEnforcementMode.CheckThenCharge);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", ForUser("alice")));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Released, record.Outcome);
        Assert.Equal(0m, record.Held);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task AReducedCall_IsMarked_WithTheMaxOutputTokensSent(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), Cost(InputTokens, 40));
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Charged, record.Outcome);
        Assert.Equal(BudgetSpendMarks.Reduced, record.Marks);
        Assert.Equal(40, record.MaxOutputTokens);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ADowngradedCall_IsMarked_WithTheModelAskedForAndTheOneThatAnswered(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), Cost(InputTokens, 20));
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient(o =>
        {
            o.CheaperModels[Model] = [Cheap];
            o.ReduceMaxOutputTokensToFit = false;
        });

        await CallAsync(client, streaming, ForUser("alice"));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendMarks.Downgraded, record.Marks);
        Assert.Equal(Model, record.RequestedModel);
        Assert.Equal(Cheap, record.Model);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task AnObservedRefusal_IsMarkedWouldRefuse_WithItsKeyAndWindow(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.05m, BudgetPeriod.Daily));
        Answer("ok", Usage(10, 90));
        using BudgetingChatClient client = CreateClient(o => o.Enforcement = BudgetEnforcement.Observe);

        await CallAsync(client, streaming, ForUser("alice"));

        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Equal(BudgetSpendOutcome.Charged, record.Outcome);
        Assert.Equal(BudgetSpendMarks.WouldRefuse, record.Marks);
        Assert.Equal("user:alice", record.RefusedKey);
        Assert.Equal("daily", record.RefusedWindow);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheRecord_CarriesTheTraceIdOfTheCurrentActivity(bool streaming)
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 10m);
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient();
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(activity.TraceId.ToHexString(), Assert.Single(await RecordsAsync()).TraceId);
    }

    [Fact]
    public async Task RecordSpendOff_WritesNoRecord_AndStillCharges()
    {
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 10m);
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient(o => o.RecordSpend = false);

        await client.GetResponseAsync("hi", ForUser("alice"));

        // The store still records the charge it made, from what it knows alone.
        BudgetSpendRecord record = Assert.Single(await RecordsAsync());
        Assert.Null(record.User);
        Assert.Equal(Cost(10, 2), record.Cost);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public async Task ManyCallsOnSeveralKeys_RecordsAddUpToEveryBudgetsSpend()
    {
        await SetBudgetAsync("global", 100m);
        await SetBudgetAsync(BudgetKeys.ForUser("alice"), 0.5m);
        await SetBudgetAsync(BudgetKeys.ForUser("bob"), 10m);
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient(o => o.MaxBudget = 100m);

        for (int i = 0; i < 30; i++)
        {
            try
            {
                await client.GetResponseAsync("hi", ForUser(i % 3 == 0 ? "bob" : "alice"));
            }
            catch (BudgetExceededException)
            {
            }

            if (i == 12)
            {
                await Store.ResetBudgetAsync("default", BudgetKeys.ForUser("bob"));
            }
        }

        IReadOnlyList<BudgetSpendCheck> checks = await BudgetSpendVerifier.VerifyAsync(Store, Store, "default");
        Assert.Equal(3, checks.Count);
        Assert.All(checks, c => Assert.True(c.IsBalanced, $"{c.Key}: spent {c.Spent}, records {c.Recorded}"));
        Assert.All(checks, c => Assert.True(c.Spent > 0m, c.Key));
    }

    private static decimal ModelPriceCost(long input, long output, long cached, long reasoning) =>
        new ModelPrice(InputPrice, OutputPrice).GetCost(input, output, cached, reasoning);

    private async Task SetBudgetAsync(string key, decimal limit) =>
        await Store.SetBudgetAsync("default", key, new BudgetDefinition(limit));

    private async Task<IReadOnlyList<BudgetSpendRecord>> RecordsAsync() =>
        (await Store.QuerySpendAsync("default", new BudgetSpendQuery { OldestFirst = true })).Records;

    private static async IAsyncEnumerable<ChatResponseUpdate> FailingStream()
    {
        await Task.Yield();
        throw new HttpRequestException("provider down");
#pragma warning disable CS0162 // An iterator needs a yield to be one.
        yield break;
#pragma warning restore CS0162
    }
}
