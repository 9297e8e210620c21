using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>
/// With the default tokenizer the input is first bounded by its UTF-8 length (never below its token count), and
/// counted exactly only where that decides: when the bound does not fit, to reduce the output to fit, and to charge a
/// call whose provider reported no usage.
/// </summary>
public sealed class InputEstimateTests : BudgetingChatClientFixture
{
    private const string Prompt =
        "I am flying from Lisbon to Toronto next Thursday with two children and a stroller. What should I know about "
        + "checked baggage allowances, seat selection and arriving at the airport early enough? We also have a connection "
        + "in Frankfurt, and I would like to know whether we need to collect our bags there or whether they go through.";

    private readonly TiktokenTokenEstimator _tokenizer = new();

    public static TheoryData<bool> Streaming => new() { false, true };

    private int Bound => new ByteCountTokenEstimator().CountInputTokens([new ChatMessage(ChatRole.User, Prompt)], null, Model);

    private int Exact => _tokenizer.CountInputTokens([new ChatMessage(ChatRole.User, Prompt)], null, Model);

    [Fact]
    public void TheBound_IsAboveTheExactCount_ForThisPrompt()
    {
        Assert.True(Bound > Exact, $"bound {Bound}, exact {Exact}");
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Holds_TheByteBound_WhenItFits(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        decimal held = -1;
        Answer("ok", Usage(10, 2), _ => held = Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved);
        using BudgetingChatClient client = CreateTokenizingClient();

        await CallAsync(client, streaming, ForUser("alice"), Prompt);

        Assert.Equal(Cost(Bound, ModelMaxOutput), held);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CountsTheInputExactly_WhenTheBoundDoesNotFit_AndHoldsThat(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Cost(Exact, ModelMaxOutput) + 0.0005m));
        decimal held = -1;
        int? sentMaxOutput = -1;
        Answer("ok", Usage(10, 2), o => (held, sentMaxOutput) = (Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved, o?.MaxOutputTokens));
        using BudgetingChatClient client = CreateTokenizingClient();

        await CallAsync(client, streaming, ForUser("alice"), Prompt);

        Assert.Equal(Cost(Exact, ModelMaxOutput), held);
        Assert.Null(sentMaxOutput);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReducesTheOutputToFit_FromTheExactCount(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Cost(Exact, 50) + 0.0005m));
        int? sentMaxOutput = null;
        Answer("ok", Usage(10, 2), o => sentMaxOutput = o?.MaxOutputTokens);
        using BudgetingChatClient client = CreateTokenizingClient();

        await CallAsync(client, streaming, ForUser("alice"), Prompt);

        Assert.Equal(50, sentMaxOutput);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Refuses_WithTheExactEstimate_WhenEvenTheExactCountDoesNotFit(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Cost(Exact, 0)));
        Answer("never", Usage(1, 1));
        using BudgetingChatClient client = CreateTokenizingClient();

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice"), Prompt));

        Assert.Equal(Cost(Exact, ModelMaxOutput), ex.Estimate);
        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task WithoutUsage_ChargesTheExactInputAndTheTextReceived_NotTheBound(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        const string answer = "Keep the stroller until the gate; it travels free.";
        Answer(answer, usage: null);
        using BudgetingChatClient client = CreateTokenizingClient();

        await CallAsync(client, streaming, ForUser("alice"), Prompt);

        Assert.Equal(Cost(Exact, _tokenizer.CountTokens(answer, Model)), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    private BudgetingChatClient CreateTokenizingClient() => new(Inner, ClientStore, null, Prices, _tokenizer, timeProvider: Time);
}
