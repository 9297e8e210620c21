using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BudgetChat.EndToEnd.Tests;

public sealed class CompletionTests : EndToEndTest
{
    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Charges_TheCostOfTheReportedUsage_AtTheCatalogPrice(bool streaming)
    {
        var usage = new FakeUsage(PromptTokens: 1_234, CompletionTokens: 321);
        Server.Enqueue(ScriptedResponse.Answer(["Hello", ", ", "world", "!"], usage));
        IChatClient client = CreateClient();

        ChatResponse response = await CallAsync(client, streaming, Prompt("Say hello."), ForUser());

        Assert.Equal("Hello, world!", response.Text);
        Assert.Equal(1_234, response.Usage?.InputTokenCount);
        Assert.Equal(321, response.Usage?.OutputTokenCount);

        // gpt-4o-mini in the built-in table: $0.15 and $0.60 per million tokens.
        ModelPrice price = Prices.GetPrice(Model);
        Assert.Equal(0.00000015m, price.InputCostPerToken);
        Assert.Equal(0.0000006m, price.OutputCostPerToken);
        Assert.Equal((1_234 * 0.00000015m) + (321 * 0.0000006m), usage.CostAt(price));
        await AssertChargedAsync(usage.CostAt(price));

        RecordedRequest request = Assert.Single(Server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal(Model, request.Model);
        Assert.Equal("Bearer sk-e2e-dummy-key", request.Authorization);
    }

    [Fact]
    public async Task StreamingRequest_AsksTheProviderToIncludeUsage()
    {
        Server.Enqueue(ScriptedResponse.Answer(["ok"], new FakeUsage(10, 1)));
        IChatClient client = CreateClient();

        await CallAsync(client, streaming: true, Prompt("Say ok."), ForUser());

        RecordedRequest request = Assert.Single(Server.Requests);
        Assert.True(request.IsStreaming);
        Assert.True(request.Json["stream_options"]?["include_usage"]?.GetValue<bool>(), $"No stream_options.include_usage in {request.Body}");
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheBudgetUserKey_IsNotSentToTheProvider(bool streaming)
    {
        Server.Enqueue(ScriptedResponse.Answer(["ok"], new FakeUsage(10, 1)));
        IChatClient client = CreateClient();
        ChatOptions options = ForUser();

        await CallAsync(client, streaming, Prompt("Say ok."), options);

        AssertNoBudgetKeysSent();
        Assert.DoesNotContain(UserId, Assert.Single(Server.Requests).Body, StringComparison.Ordinal);
        Assert.Equal(UserId, options.AdditionalProperties?[ChatOptionsBudgetExtensions.UserIdKey]);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReducedMaxOutputTokens_ReachesTheWire(bool streaming)
    {
        // A user with less left than the worst case (16,384 output tokens of gpt-4o-mini, about $0.0098).
        const decimal limit = 0.005m;
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser(UserId), new BudgetDefinition(limit));
        var usage = new FakeUsage(20, 5);
        Server.Enqueue(ScriptedResponse.Answer(["short"], usage));
        IChatClient client = CreateClient();
        List<ChatMessage> messages = Prompt("Be brief.");
        ChatOptions options = ForUser();

        await CallAsync(client, streaming, messages, options);

        // The documented rule: as many output tokens as what remains pays for after the counted input.
        ModelPrice price = Prices.GetPrice(Model);
        decimal inputCost = Estimator.CountInputTokens(messages, options, Model) * price.InputCostPerToken;
        int expected = (int)decimal.Floor((limit - inputCost) / price.OutputCostPerToken);
        Assert.InRange(expected, 16, price.MaxOutputTokens!.Value - 1);
        JsonObject body = Assert.Single(Server.Requests).Json;
        JsonNode? sent = body["max_completion_tokens"] ?? body["max_tokens"];
        Assert.Equal(expected, sent?.GetValue<int>());
        Assert.Null(options.MaxOutputTokens);
        await AssertChargedAsync(usage.CostAt(price));
    }
}
