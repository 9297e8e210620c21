using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BudgetChat.EndToEnd.Tests;

public sealed class ToolLoopTests : EndToEndTest
{
    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ToolLoop_ChargesEveryRoundTrip_AtItsReportedUsage(bool streaming)
    {
        var asked = new List<string>();
        AIFunction weather = AIFunctionFactory.Create((string city) =>
        {
            asked.Add(city);
            return "18 degrees and sunny";
        }, "get_weather", "Gets the current weather in a city.");
        var first = new FakeUsage(PromptTokens: 180, CompletionTokens: 24);
        var second = new FakeUsage(PromptTokens: 230, CompletionTokens: 15, CachedTokens: 128);
        Server.Enqueue(
            ScriptedResponse.ToolCall("call_weather_1", "get_weather", """{"city":"Paris"}""", first),
            ScriptedResponse.Answer(["It is 18 degrees ", "and sunny in Paris."], second));
        IChatClient client = CreateClient(invokeFunctions: true);
        ChatOptions options = ForUser();
        options.Tools = [weather];

        ChatResponse response = await CallAsync(client, streaming, Prompt("What is the weather in Paris?"), options);

        Assert.Equal("It is 18 degrees and sunny in Paris.", response.Text);
        Assert.Equal(["Paris"], asked);

        // The model saw the function's result in the second round trip.
        Assert.Equal(2, Server.Requests.Count);
        Assert.NotNull(Server.Requests[0].Json["tools"]);
        JsonObject toolMessage = Server.Requests[1].Json["messages"]!.AsArray().Last()!.AsObject();
        Assert.Equal("tool", toolMessage["role"]?.GetValue<string>());
        Assert.Equal("call_weather_1", toolMessage["tool_call_id"]?.GetValue<string>());
        Assert.Contains("18 degrees and sunny", toolMessage["content"]!.ToJsonString(), StringComparison.Ordinal);

        ModelPrice price = Prices.GetPrice(Model);
        await AssertChargedAsync(first.CostAt(price) + second.CostAt(price));
        AssertNoBudgetKeysSent();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ToolLoop_AdmitsEachRoundTripAgainstWhatIsLeft(bool streaming)
    {
        // Room for the first round trip's worst case (about $0.0098: 16,384 output tokens) but, once it is charged,
        // not for the second's: UseBudget inside UseFunctionInvocation reserves each round trip on its own, so the
        // second goes out with a lower max_completion_tokens.
        const decimal limit = 0.0100m;
        await Store.SetBudgetAsync(Project, BudgetKeys.ForUser(UserId), new BudgetDefinition(limit));
        AIFunction weather = AIFunctionFactory.Create((string city) => "18 degrees and sunny", "get_weather", "Gets the current weather in a city.");
        var first = new FakeUsage(PromptTokens: 1_000, CompletionTokens: 500);
        var second = new FakeUsage(PromptTokens: 1_100, CompletionTokens: 20);
        Server.Enqueue(
            ScriptedResponse.ToolCall("call_weather_1", "get_weather", """{"city":"Paris"}""", first),
            ScriptedResponse.Answer(["Sunny."], second));
        var roundTrips = new List<(List<ChatMessage> Messages, ChatOptions? Options)>();
        IChatClient client = CreateClient(invokeFunctions: true, belowBudget: inner => new RecordingChatClient(inner, roundTrips));
        ChatOptions options = ForUser();
        options.Tools = [weather];

        await CallAsync(client, streaming, Prompt("What is the weather in Paris?"), options);

        ModelPrice price = Prices.GetPrice(Model);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Equal(2, roundTrips.Count);
        Assert.Null(MaxTokensSent(Server.Requests[0]));

        // The documented rule, applied to what was left after the first charge and the input the second one sent.
        decimal remaining = limit - first.CostAt(price);
        decimal inputCost = Estimator.CountInputTokens(roundTrips[1].Messages, roundTrips[1].Options, Model) * price.InputCostPerToken;
        int expected = (int)decimal.Floor((remaining - inputCost) / price.OutputCostPerToken);
        Assert.InRange(expected, 16, price.MaxOutputTokens!.Value - 1);
        Assert.Equal(expected, MaxTokensSent(Server.Requests[1]));
        await AssertChargedAsync(first.CostAt(price) + second.CostAt(price));
    }

    private static int? MaxTokensSent(RecordedRequest request) =>
        (request.Json["max_completion_tokens"] ?? request.Json["max_tokens"])?.GetValue<int>();

    /// <summary>Sits between UseBudget and the OpenAI client and keeps what each round trip sent.</summary>
    private sealed class RecordingChatClient(IChatClient inner, List<(List<ChatMessage> Messages, ChatOptions? Options)> calls) : DelegatingChatClient(inner)
    {
        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            calls.Add(([.. messages], options));
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            calls.Add(([.. messages], options));
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }
    }
}
