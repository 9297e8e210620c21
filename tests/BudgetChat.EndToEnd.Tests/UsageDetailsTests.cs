using Microsoft.Extensions.AI;

namespace BudgetChat.EndToEnd.Tests;

public sealed class UsageDetailsTests : EndToEndTest
{
    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CachedTokens_AreChargedOnce_AtTheCacheReadPrice(bool streaming)
    {
        var usage = new FakeUsage(PromptTokens: 3_000, CompletionTokens: 200, CachedTokens: 2_048);
        Server.Enqueue(ScriptedResponse.Answer(["Cached", " answer"], usage));
        IChatClient client = CreateClient();

        ChatResponse response = await CallAsync(client, streaming, Prompt("Again, please."), ForUser());

        Assert.Equal(2_048, response.Usage?.CachedInputTokenCount);

        // gpt-4o-mini: cache reads at $0.075 per million, half the input price.
        ModelPrice price = Prices.GetPrice(Model);
        Assert.Equal(0.000000075m, price.CachedInputCostPerToken);
        decimal expected = (952 * 0.00000015m) + (2_048 * 0.000000075m) + (200 * 0.0000006m);
        Assert.Equal(expected, usage.CostAt(price));
        await AssertChargedAsync(expected);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CachedAndReasoningTokens_AreEachChargedOnce_AtTheirOwnPrices(bool streaming)
    {
        // Explicit prices, each different, so a token charged at the wrong price or twice changes the total.
        const string model = "o3-mini";
        var price = new ModelPrice(inputCostPerToken: 0.000001m, outputCostPerToken: 0.000004m)
        {
            CachedInputCostPerToken = 0.0000005m,
            ReasoningCostPerToken = 0.000008m,
            MaxOutputTokens = 100_000,
        };
        Prices.SetPrice(model, price);
        var usage = new FakeUsage(PromptTokens: 1_500, CompletionTokens: 900, CachedTokens: 1_024, ReasoningTokens: 640);
        Server.Enqueue(ScriptedResponse.Answer(["Thought", " it over."], usage));
        IChatClient client = CreateClient(model);

        ChatResponse response = await CallAsync(client, streaming, Prompt("Think, then answer."), ForUser());

        Assert.Equal(640, response.Usage?.ReasoningTokenCount);
        Assert.Equal(1_024, response.Usage?.CachedInputTokenCount);
        decimal expected = (476 * 0.000001m) + (1_024 * 0.0000005m) + (260 * 0.000004m) + (640 * 0.000008m);
        Assert.Equal(expected, usage.CostAt(price));
        await AssertChargedAsync(expected);
        Assert.Equal(model, Assert.Single(Server.Requests).Model);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task AnswerFromADatedSnapshot_IsChargedAtTheSnapshotsOwnPrice(bool streaming)
    {
        // OpenAI names the snapshot that answered (gpt-4o-mini-2024-07-18); when it has a price of its own, that price applies.
        const string snapshot = "gpt-4o-mini-2024-07-18";
        var snapshotPrice = new ModelPrice(inputCostPerToken: 0.000002m, outputCostPerToken: 0.000003m);
        Prices.SetPrice(snapshot, snapshotPrice);
        var usage = new FakeUsage(PromptTokens: 500, CompletionTokens: 70);
        Server.Enqueue(ScriptedResponse.Answer(["From ", "a snapshot."], usage, respondingModel: snapshot));
        IChatClient client = CreateClient();

        ChatResponse response = await CallAsync(client, streaming, Prompt("Which model are you?"), ForUser());

        Assert.Equal(snapshot, response.ModelId);
        Assert.NotEqual(usage.CostAt(Prices.GetPrice(Model)), usage.CostAt(snapshotPrice));
        await AssertChargedAsync(usage.CostAt(snapshotPrice));
        BudgetState user = (await Store.GetBudgetAsync(Project, BudgetKeys.ForUser(UserId)))!;
        Assert.Equal(usage.CostAt(snapshotPrice), user.SpendByModel[snapshot]);
    }
}
