using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Estimation;

public sealed class TiktokenTokenEstimatorTests
{
    private static readonly TiktokenTokenEstimator Estimator = new();

    public static TheoryData<string, string, int> TiktokenCases()
    {
        // Counted by tiktoken itself (tools/tiktoken-fixture/generate.mjs).
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "tiktoken-counts.json")));
        var data = new TheoryData<string, string, int>();
        foreach (JsonElement c in fixture.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("encoding").GetString()!, c.GetProperty("text").GetString()!, c.GetProperty("tokens").GetInt32());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TiktokenCases))]
    public void CountTokens_MatchesTiktoken(string encoding, string text, int tiktokenCount)
    {
        string model = encoding == "cl100k_base" ? "gpt-4" : "gpt-4o";
        Assert.Equal(encoding, TiktokenTokenEstimator.GetEncodingName(model));

        Assert.Equal(tiktokenCount, Estimator.CountTokens(text, model));
    }

    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4o-mini-2024-07-18", "o200k_base")]
    [InlineData("gpt-4.1", "o200k_base")]
    [InlineData("gpt-5", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("openai/gpt-4o", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("azure/gpt-35-turbo", "cl100k_base")]
    [InlineData("claude-3-5-sonnet", "o200k_base")]
    [InlineData(null, "o200k_base")]
    public void ChoosesTheEncoding_ByModelFamily(string? model, string encoding)
    {
        Assert.Equal(encoding, TiktokenTokenEstimator.GetEncodingName(model));
    }

    [Theory]
    [InlineData("openai/gpt-4o", "gpt-4o")]
    [InlineData("azure/gpt-4", "gpt-4")]
    [InlineData("openrouter/openai/gpt-3.5-turbo", "gpt-3.5-turbo")]
    public void ProviderPrefixedId_CountsAsTheBareId(string prefixed, string bare)
    {
        // 10 tokens in o200k_base and 23 in cl100k_base (tiktoken-counts.json), so the encoding shows in the count.
        const string Text = "مرحبا بالعالم، كيف حالك اليوم؟";
        var estimator = new TiktokenTokenEstimator();

        int bareCount = estimator.CountTokens(Text, bare);

        Assert.Equal(TiktokenTokenEstimator.GetEncodingName(bare), TiktokenTokenEstimator.GetEncodingName(prefixed));
        Assert.Equal(bareCount, estimator.CountTokens(Text, prefixed));
        Assert.Equal(bareCount, estimator.CountTokens(Text, prefixed)); // again, now from the estimator's last choice
    }

    [Fact]
    public void AlternatingModelFamilies_EachCountWithTheirOwnEncoding()
    {
        const string Text = "مرحبا بالعالم، كيف حالك اليوم؟"; // o200k_base: 10, cl100k_base: 23 (tiktoken-counts.json)
        var estimator = new TiktokenTokenEstimator();
        string?[] models = ["gpt-4o", "gpt-4", "openai/gpt-4o", "azure/gpt-35-turbo", null, "gpt-4-turbo", "o3-mini", "gpt-4"];
        int[] expected = [10, 23, 10, 23, 10, 23, 10, 23];

        for (int round = 0; round < 3; round++)
        {
            Assert.Equal(expected, models.Select(m => estimator.CountTokens(Text, m)));
        }
    }

    [Fact]
    public void CountInputTokens_AddsOpenAIsPerMessageFraming()
    {
        // OpenAI's chat format: 3 tokens per message, the role's token, and 3 to prime the reply.
        ChatMessage[] messages =
        [
            new(ChatRole.System, "You are a helpful assistant."),
            new(ChatRole.User, "Hey, how's it going?"),
        ];
        int text = Estimator.CountTokens("You are a helpful assistant.", "gpt-4o") + Estimator.CountTokens("Hey, how's it going?", "gpt-4o");

        Assert.Equal(text + (2 * (3 + 1)) + 3, Estimator.CountInputTokens(messages, null, "gpt-4o"));
    }

    [Fact]
    public void CountInputTokens_MatchesTheApisPromptTokens_ForAKnownConversation()
    {
        // The OpenAI cookbook's example: these messages are billed as 129 prompt tokens on gpt-4 and gpt-4o models.
        ChatMessage[] messages =
        [
            new(ChatRole.System, "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
            new(ChatRole.System, "New synergies will help drive top-line growth.") { AuthorName = "example_user" },
            new(ChatRole.System, "Things working well together will increase revenue.") { AuthorName = "example_assistant" },
            new(ChatRole.System, "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.") { AuthorName = "example_user" },
            new(ChatRole.System, "Let's talk later when we're less busy about how to do better.") { AuthorName = "example_assistant" },
            new(ChatRole.User, "This late pivot means we don't have time to boil the ocean for the client deliverable."),
        ];

        Assert.Equal(129, Estimator.CountInputTokens(messages, null, "gpt-4"));
        Assert.Equal(124, Estimator.CountInputTokens(messages, null, "gpt-4o"));
    }

    [Fact]
    public void CountInputTokens_IsTheSame_WhateverCollectionsHoldTheMessagesAndTheirContents()
    {
        ChatMessage[] messages =
        [
            new(ChatRole.System, "You are a helpful assistant."),
            new(ChatRole.User, [new TextContent("Hey, "), new TextContent("how's it going?")]),
            new(ChatRole.User, new AIContent[] { new TextContent("Still there?") }),
            new(ChatRole.User, new System.Collections.ObjectModel.Collection<AIContent> { new TextContent("Hello?") }),
        ];
        int expected = Estimator.CountInputTokens(messages, null, "gpt-4o");

        Assert.Equal(expected, Estimator.CountInputTokens(messages.ToList(), null, "gpt-4o"));
        Assert.Equal(expected, Estimator.CountInputTokens(new System.Collections.ObjectModel.Collection<ChatMessage>(messages), null, "gpt-4o"));
        Assert.Equal(expected, Estimator.CountInputTokens(messages.Select(m => m), null, "gpt-4o"));
        int text = new[] { "You are a helpful assistant.", "Hey, ", "how's it going?", "Still there?", "Hello?" }.Sum(t => Estimator.CountTokens(t, "gpt-4o"));
        Assert.Equal(text + (4 * (3 + 1)) + 3, expected);
    }

    [Fact]
    public void CountInputTokens_CountsInstructionsToolsAndFunctionCalls()
    {
        ChatMessage[] plain = [new(ChatRole.User, "What's the weather?")];
        int baseline = Estimator.CountInputTokens(plain, null, "gpt-4o");
        AIFunction tool = AIFunctionFactory.Create((string city) => "sunny", "GetWeather", "Gets the weather for a city.");

        Assert.True(Estimator.CountInputTokens(plain, new ChatOptions { Instructions = "Answer briefly." }, "gpt-4o") > baseline);
        Assert.True(Estimator.CountInputTokens(plain, new ChatOptions { Tools = [tool] }, "gpt-4o") > baseline + 10);

        ChatMessage[] withCall =
        [
            .. plain,
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "GetWeather", new Dictionary<string, object?> { ["city"] = "Oslo" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "Sunny, 21 degrees")]),
        ];
        Assert.True(Estimator.CountInputTokens(withCall, null, "gpt-4o") > baseline + 10);
    }

    [Fact]
    public void CountInputTokens_CountsImagesAtTheConfiguredRate()
    {
        var estimator = new TiktokenTokenEstimator(tokensPerImage: 500);
        ChatMessage[] text = [new(ChatRole.User, "Describe this.")];
        ChatMessage[] image = [new(ChatRole.User, [new TextContent("Describe this."), new DataContent(new byte[] { 1, 2, 3 }, "image/png")])];

        Assert.Equal(estimator.CountInputTokens(text, null, "gpt-4o") + 500, estimator.CountInputTokens(image, null, "gpt-4o"));
    }

    [Fact]
    public void ByteCountEstimator_NeverCountsLessThanTheTokenizer()
    {
        var bytes = new ByteCountTokenEstimator();
        foreach (var row in TiktokenCases())
        {
            string text = (string)row[1];
            Assert.True(bytes.CountTokens(text, "gpt-4o") >= Estimator.CountTokens(text, "gpt-4o"), text);
        }
    }
}
