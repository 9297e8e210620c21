using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Tests.Middleware;

public class BudgetingChatClientTests : BudgetingChatClientFixture
{
    public static TheoryData<bool> Streaming => new() { false, true };

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Charges_ActualCostFromUsage_AndHoldsNothingAfter(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi there", Usage(input: 12, output: 7));
        using var client = CreateClient();

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("Hi there", response.Text);
        BudgetState budget = await UserBudgetAsync("alice");
        Assert.Equal(Cost(12, 7), budget.Spent);
        Assert.Equal(Cost(12, 7), budget.SpendByModel[Model]);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Holds_WorstCase_WhileTheModelRuns(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        decimal heldDuringCall = -1;
        Answer("ok", Usage(10, 2), _ => heldDuringCall = Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved);
        using var client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(WorstCase, heldDuringCall);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Holds_RequestedMaxOutputTokens_InsteadOfModelMaximum(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        decimal heldDuringCall = -1;
        Answer("ok", Usage(10, 2), _ => heldDuringCall = Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved);
        using var client = CreateClient();

        await CallAsync(client, streaming, new ChatOptions { MaxOutputTokens = 20 }.WithBudgetUser("alice"));

        Assert.Equal(Cost(InputTokens, 20), heldDuringCall);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Refuses_WhenEstimateExceedsRemaining_WithoutCallingTheModel(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.1m, BudgetPeriod.Monthly));
        Answer("never", Usage(1, 1));
        using var client = CreateClient(o => o.ReduceMaxOutputTokensToFit = false);

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
        Assert.Equal(BudgetKeys.ForUser("alice"), ex.Key);
        Assert.Equal("default", ex.Project);
        Assert.Equal(0.1m, ex.Limit);
        Assert.Equal(0m, ex.Spent);
        Assert.Equal(WorstCase, ex.Estimate);
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), ex.ResetsAt);
        Assert.Contains("user:alice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2026-04-01 00:00:00Z", ex.Message, StringComparison.Ordinal);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReducesMaxOutputTokens_WhenOnlyAPartOfTheWorstCaseFits_WithoutTouchingCallerOptions(bool streaming)
    {
        // $0.1 left: 10 input tokens cost $0.01, so (0.1 - 0.01) / 0.002 = 45 output tokens fit.
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.1m));
        int? sentMaxOutput = null;
        ChatOptions? sentOptions = null;
        Answer("short", Usage(10, 5), o => (sentOptions, sentMaxOutput) = (o, o?.MaxOutputTokens));
        using var client = CreateClient();
        ChatOptions callerOptions = ForUser("alice");

        await CallAsync(client, streaming, callerOptions);

        Assert.Equal(45, sentMaxOutput);
        Assert.NotSame(callerOptions, sentOptions);
        Assert.Null(callerOptions.MaxOutputTokens);
        Assert.Equal("alice", callerOptions.GetBudgetUser());
        Assert.Equal(Cost(10, 5), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task Refuses_WhenFewerThanTheMinimumOutputTokensFit(bool streaming)
    {
        // 0.01 input + 0.002 × 15 = 0.04 allows 15 output tokens, below the minimum of 16.
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.04m));
        Answer("never", Usage(1, 1));
        using var client = CreateClient();

        await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task PassesCallerOptionsThrough_WhenNothingNeedsChanging(bool streaming)
    {
        // The user named by Semantic Kernel's "user" entry is the provider's own field: it stays.
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        ChatOptions? sent = null;
        Answer("ok", Usage(1, 1), o => sent = o);
        using var client = CreateClient();
        var callerOptions = new ChatOptions { AdditionalProperties = new() { ["user"] = "alice" } };

        await CallAsync(client, streaming, callerOptions);

        Assert.Same(callerOptions, sent);
        Assert.Equal(Cost(1, 1), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheInnerClient_DoesNotSeeTheBudgetUserEntry_AndTheCallersOptionsKeepIt(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        ChatOptions? sent = null;
        Answer("ok", Usage(1, 1), o => sent = o);
        using var client = CreateClient();
        ChatOptions callerOptions = new ChatOptions { Temperature = 0.5f, AdditionalProperties = new() { ["trace"] = "t-1" } }.WithBudgetUser("alice");
        ChatOptions onlyUser = ForUser("alice");

        await CallAsync(client, streaming, callerOptions);
        ChatOptions withOthers = sent!;
        await CallAsync(client, streaming, onlyUser);

        Assert.NotSame(callerOptions, withOthers);
        Assert.False(withOthers.AdditionalProperties!.ContainsKey(ChatOptionsBudgetExtensions.UserIdKey));
        Assert.Equal("t-1", withOthers.AdditionalProperties["trace"]);
        Assert.Equal(0.5f, withOthers.Temperature);
        Assert.Null(sent!.AdditionalProperties);
        Assert.Equal("alice", callerOptions.GetBudgetUser());
        Assert.Equal("alice", onlyUser.GetBudgetUser());
        Assert.Equal(2, callerOptions.AdditionalProperties!.Count);
        Assert.Equal(2 * Cost(1, 1), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task SetsMaxOutputTokensToTheCap_WhenTheModelMaximumIsUnknown(bool streaming)
    {
        Prices.SetPrice("no-max", new ModelPrice(InputPrice, OutputPrice));
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        int? sentMaxOutput = null;
        Answer("ok", Usage(1, 1), o => sentMaxOutput = o?.MaxOutputTokens);
        using var client = CreateClient(o => o.MaxOutputTokensCap = 300);

        await CallAsync(client, streaming, new ChatOptions { ModelId = "no-max" }.WithBudgetUser("alice"));

        Assert.Equal(300, sentMaxOutput);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReleasesTheReservation_AndRethrows_WhenTheInnerClientFails(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Inner.GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("provider down");
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => FailingStream(new HttpRequestException("provider down"));
        using var client = CreateClient();

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal("provider down", ex.Message);
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReleasesTheReservation_WhenCancelledBeforeAnswering(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        using var cts = new CancellationTokenSource();
        Inner.GetResponseAsyncCallback = async (_, _, ct) =>
        {
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return new ChatResponse();
        };
        Inner.GetStreamingResponseAsyncCallback = (_, _, ct) => CancelledStream(cts, ct);
        using var client = CreateClient();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CallAsync(client, streaming, ForUser("alice"), cancellationToken: cts.Token));

        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ChargesAnEstimate_WhenTheProviderReportsNoUsage(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("twelve chars", usage: null);
        using var client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        // The estimator counts 10 input tokens and one token per output character.
        Assert.Equal(Cost(InputTokens, "twelve chars".Length), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    // A tool call is output the provider wrote: its name and its JSON arguments are counted like text.
    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ChargesTheFunctionCallsNameAndArguments_WhenTheProviderReportsNoUsage(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        var call = new FunctionCallContent("call-1", "book_flight", new Dictionary<string, object?> { ["from"] = "LIS", ["to"] = "YYZ", ["seats"] = 3 });
        Inner.GetResponseAsyncCallback = (_, _, _) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextContent("ok"), call])) { ModelId = Model });
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => new[]
        {
            new ChatResponseUpdate(ChatRole.Assistant, "ok") { ModelId = Model },
            new ChatResponseUpdate(ChatRole.Assistant, [call]) { ModelId = Model },
        }.ToAsyncEnumerable();
        using var client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        // One token per character: "ok", the name, and the arguments as JSON.
        int output = "ok".Length + "book_flight".Length + "{\"from\":\"LIS\",\"to\":\"YYZ\",\"seats\":3}".Length;
        Assert.Equal(Cost(InputTokens, output), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task Streaming_ChargesAnEstimateOfWhatArrived_WhenTheStreamIsCut()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => CutStream("abcdefgh", new IOException("connection reset"));
        using var client = CreateClient();
        var received = new List<string>();

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hi", ForUser("alice")))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal(["abcd", "efgh"], received);
        Assert.Equal(Cost(InputTokens, 8), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task Streaming_ChargesAnEstimateOfWhatArrived_WhenTheCallerStopsEarly()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("abcdefghijkl", Usage(10, 50));
        using var client = CreateClient();

        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hi", ForUser("alice")))
        {
            Assert.Equal("abcd", update.Text);
            break;
        }

        Assert.Equal(Cost(InputTokens, 4), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task WithTheByteCountEstimator_ChargesTheBytesThatArrived_WhenNoUsageDoes(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("héllo wörld, ça va?", usage: null);
        var bytes = new ByteCountTokenEstimator();
        using var client = new BudgetingChatClient(Inner, ClientStore, null, Prices, bytes, timeProvider: Time);

        await CallAsync(client, streaming, ForUser("alice"), "hi");

        int input = bytes.CountInputTokens([new ChatMessage(ChatRole.User, "hi")], ForUser("alice"), Model);
        Assert.Equal(Cost(input, System.Text.Encoding.UTF8.GetByteCount("héllo wörld, ça va?")), (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public async Task Streaming_YieldsEachUpdateAsItArrives()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        var secondMayCome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => GatedStream(secondMayCome.Task);
        using var client = CreateClient();

        await using IAsyncEnumerator<ChatResponseUpdate> updates = client.GetStreamingResponseAsync("hi", ForUser("alice")).GetAsyncEnumerator();

        // The first update arrives while the model is still held back from sending the second.
        Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("first", updates.Current.Text);
        secondMayCome.SetResult();
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal("second", updates.Current.Text);
        Assert.True(await updates.MoveNextAsync());
        Assert.False(await updates.MoveNextAsync());
        Assert.Equal(Cost(3, 2), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task PricesCachedAndReasoningTokens_EachOnce(bool streaming)
    {
        Prices.SetPrice("reasoner", new ModelPrice(0.01m, 0.04m) { CachedInputCostPerToken = 0.001m, ReasoningCostPerToken = 0.05m, MaxOutputTokens = 100 });
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(100m));
        Answer("ok", Usage(input: 100, output: 50, cached: 60, reasoning: 30));
        using var client = CreateClient();

        await CallAsync(client, streaming, new ChatOptions { ModelId = "reasoner" }.WithBudgetUser("alice"));

        // 40 uncached × 0.01 + 60 cached × 0.001 + 20 visible output × 0.04 + 30 reasoning × 0.05
        Assert.Equal(0.4m + 0.06m + 0.8m + 1.5m, (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ChargesTheUserAndTheGlobalBudget(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("ok", Usage(20, 10));
        using var client = CreateClient(o => o.MaxBudget = 5m);

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(Cost(20, 10), (await UserBudgetAsync("alice")).Spent);
        Assert.Equal(Cost(20, 10), await client.GetGlobalSpendAsync());
        Assert.Equal(5m, (await client.GetBudgetAsync(BudgetKeys.Global))!.Limit);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task EachCall_IsChargedToItsOwnUser_WhenUsersAlternate(bool streaming)
    {
        string[] users = ["alice", "alicia", "alice", "alice ", "alicia", "alice", "alice", "al", "alicia"];
        foreach (string user in users.Distinct())
        {
            await Store.SetBudgetAsync("default", BudgetKeys.ForUser(user), new BudgetDefinition(10m));
        }

        Answer("ok", Usage(20, 10));
        using var client = CreateClient(o => o.MaxBudget = 5m);

        foreach (string user in users)
        {
            // A new string each time, equal to an earlier one or not.
            await CallAsync(client, streaming, ForUser(new string(user.AsSpan())));
        }

        foreach (string user in users.Distinct())
        {
            Assert.Equal(users.Count(u => u == user) * Cost(20, 10), (await UserBudgetAsync(user)).Spent);
        }

        Assert.Equal(users.Length * Cost(20, 10), await client.GetGlobalSpendAsync());
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task GlobalBudget_RefusesTheSecondCall_OnceSpent(bool streaming)
    {
        // The first call costs 0.19 of 0.2; the 0.01 left pays for the second call's input and no output.
        Answer("ok", Usage(10, 90));
        using var client = CreateClient(o => o.MaxBudget = 0.2m);

        await CallAsync(client, streaming);
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming));

        Assert.Equal(BudgetKeys.Global, ex.Key);
        Assert.Equal(Cost(10, 90), ex.Spent);
        Assert.Equal(1, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CallWithoutUser_IsChargedToTheGlobalBudgetOnly(bool streaming)
    {
        Answer("ok", Usage(5, 5));
        using var client = CreateClient(o => o.MaxBudget = 1m);

        await CallAsync(client, streaming);

        IReadOnlyList<BudgetState> budgets = await Store.ListBudgetsAsync("default");
        BudgetState global = Assert.Single(budgets);
        Assert.Equal(BudgetKeys.Global, global.Key);
        Assert.Equal(Cost(5, 5), global.Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CallWithoutUser_IsRefused_WhenAUserIsRequired(bool streaming)
    {
        Answer("never", Usage(1, 1));
        using var client = CreateClient(o => (o.MaxBudget, o.RequireUser) = (1m, true));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => CallAsync(client, streaming));

        Assert.Contains("WithBudgetUser", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CallWithoutUserOrGlobalBudget_IsRefused(bool streaming)
    {
        Answer("never", Usage(1, 1));
        using var client = CreateClient();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => CallAsync(client, streaming));

        Assert.Contains("no budget to charge", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task UserWithoutBudget_IsRefused_WithAMessageNamingTheUser(bool streaming)
    {
        Answer("never", Usage(1, 1));
        using var client = CreateClient();

        var ex = await Assert.ThrowsAsync<BudgetNotFoundException>(() => CallAsync(client, streaming, ForUser("bob")));

        Assert.Equal("user:bob", ex.Key);
        Assert.Contains("user 'bob'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DefaultUserBudget", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task UserWithoutBudget_GetsTheDefaultBudget_CreatedOnceUnderConcurrency(bool streaming)
    {
        Answer("ok", Usage(1, 1));
        using var client = CreateClient(o => o.DefaultUserBudget = new BudgetDefinition(10m, BudgetPeriod.Daily));

        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => CallAsync(client, streaming, ForUser("new-user")))));

        BudgetState budget = Assert.Single(await Store.ListBudgetsAsync("default"));
        Assert.Equal(10m, budget.Limit);
        Assert.Equal(BudgetPeriod.Daily, budget.Definition.Period);
        Assert.Equal(32 * Cost(1, 1), budget.Spent);
        Assert.Equal(32, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReadsTheUser_FromTheUserAdditionalProperty(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("sk-user"), new BudgetDefinition(10m));
        Answer("ok", Usage(1, 1));
        using var client = CreateClient();

        await CallAsync(client, streaming, new ChatOptions { AdditionalProperties = new() { ["user"] = "sk-user" } });

        Assert.Equal(Cost(1, 1), (await UserBudgetAsync("sk-user")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReadsTheUser_FromTheResolver_WhenOptionsCarryNone(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("from-resolver"), new BudgetDefinition(10m));
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("explicit"), new BudgetDefinition(10m));
        Answer("ok", Usage(1, 1));
        using var client = CreateClient(o => o.UserIdResolver = _ => "from-resolver");

        await CallAsync(client, streaming);
        await CallAsync(client, streaming, ForUser("explicit"));

        Assert.Equal(Cost(1, 1), (await UserBudgetAsync("from-resolver")).Spent);
        Assert.Equal(Cost(1, 1), (await UserBudgetAsync("explicit")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ReservesResolvedKeysTogether_AllOrNone(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        await Store.SetBudgetAsync("default", "team:search", new BudgetDefinition(0.05m));
        Answer("ok", Usage(1, 1));
        using var client = CreateClient(o => (o.AdditionalKeysResolver, o.ReduceMaxOutputTokensToFit) = (_ => ["team:search"], false));

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal("team:search", ex.Key);
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Reserved);

        await Store.SetBudgetAsync("default", "team:search", new BudgetDefinition(10m));
        await CallAsync(client, streaming, ForUser("alice"));
        Assert.Equal(Cost(1, 1), (await Store.GetBudgetAsync("default", "team:search"))!.Spent);
        Assert.Equal(Cost(1, 1), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ProjectName_ScopesEveryKey(bool streaming)
    {
        Answer("ok", Usage(1, 1));
        using var appA = CreateClient(o => (o.ProjectName, o.DefaultUserBudget) = ("app-a", new BudgetDefinition(1m)));
        using var appB = CreateClient(o => (o.ProjectName, o.DefaultUserBudget) = ("app-b", new BudgetDefinition(2m)));

        await CallAsync(appA, streaming, ForUser("alice"));

        Assert.Equal(Cost(1, 1), (await UserBudgetAsync("alice", "app-a")).Spent);
        Assert.Empty(await Store.ListBudgetsAsync("app-b"));
        await CallAsync(appB, streaming, ForUser("alice"));
        Assert.Equal(2m, (await UserBudgetAsync("alice", "app-b")).Limit);
        Assert.Equal(1m, (await UserBudgetAsync("alice", "app-a")).Limit);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task UnknownModel_IsRefused_WithoutCallingTheModel(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("never", Usage(1, 1));
        using var client = CreateClient();

        var ex = await Assert.ThrowsAsync<ModelPriceNotFoundException>(() => CallAsync(client, streaming, new ChatOptions { ModelId = "mystery-1" }.WithBudgetUser("alice")));

        Assert.Equal("mystery-1", ex.ModelId);
        Assert.Contains("SetPrice", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, InnerCalls);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task UnknownModel_UsesTheFallbackPrice_WhenOneIsSet(bool streaming)
    {
        Prices.FallbackPrice = new ModelPrice(0.1m, 0.1m) { MaxOutputTokens = 10 };
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("ok", Usage(2, 3));
        Inner.Metadata = new ChatClientMetadata("test", null, "mystery-1");
        using var client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal((2 * 0.1m) + (3 * 0.1m), (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CheckThenCharge_AdmitsWhileBelowTheLimit_AndLetsTheLastCallOvershoot(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.05m));
        Answer("ok", Usage(10, 15));
        using var client = CreateClient(o => o.Mode = BudgetEnforcementMode.CheckThenCharge);

        await CallAsync(client, streaming, ForUser("alice"));
        await CallAsync(client, streaming, ForUser("alice"));
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        // 0.04 per call: the second call was admitted at 0.04 < 0.05 and took spend to 0.08.
        Assert.Equal(0.08m, ex.Spent);
        Assert.Equal(2, InnerCalls);
        BudgetState budget = await UserBudgetAsync("alice");
        Assert.Equal(0.08m, budget.Spent);
        Assert.Equal(0m, budget.Reserved);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task CheckThenCharge_RefusesANewUser_WhoseDefaultBudgetIsZero(bool streaming)
    {
        Answer("never", Usage(1, 1));
        using var client = CreateClient(o => (o.Mode, o.DefaultUserBudget) = (BudgetEnforcementMode.CheckThenCharge, new BudgetDefinition(0m)));

        await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("new-user")));

        Assert.Equal(0, InnerCalls);
        Assert.Equal(0m, (await UserBudgetAsync("new-user")).Limit);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task UsesTheInnerClientsDefaultModel_WhenOptionsNameNone(bool streaming)
    {
        Prices.SetPrice("inner-default", new ModelPrice(1m, 1m) { MaxOutputTokens = 5 });
        Inner.Metadata = new ChatClientMetadata("test", null, "inner-default");
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(100m));
        decimal held = 0;
        Answer("ok", Usage(1, 1), _ => held = Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved);
        using var client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal((InputTokens * 1m) + (5 * 1m), held);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ToolLoop_ReservesAndChargesEveryRoundTrip_WhenBudgetSitsInsideFunctionInvocation(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        var heldPerRoundTrip = new List<decimal>();
        int round = 0;
        ChatResponse Respond()
        {
            heldPerRoundTrip.Add(Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved);
            return ++round == 1
                ? new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "GetWeather", new Dictionary<string, object?> { ["city"] = "Oslo" })])) { Usage = Usage(30, 8), ModelId = Model }
                : new ChatResponse(new ChatMessage(ChatRole.Assistant, "It is sunny.")) { Usage = Usage(50, 6), ModelId = Model };
        }

        Inner.GetResponseAsyncCallback = (_, _, _) => Task.FromResult(Respond());
        Inner.GetStreamingResponseAsyncCallback = (_, _, _) => Respond().ToChatResponseUpdates().ToAsyncEnumerable();
        using ServiceProvider services = new ServiceCollection().AddSingleton(Prices).AddSingleton(Estimator).BuildServiceProvider();
        using IChatClient client = new ChatClientBuilder(Inner)
            .UseFunctionInvocation()
            .UseBudget(Store)
            .Build(services);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"Sunny in {city}", "GetWeather")] }.WithBudgetUser("alice");

        ChatResponse response = await CallAsync(client, streaming, options, "Weather in Oslo?");

        Assert.Equal("It is sunny.", response.Text);
        Assert.Equal(2, heldPerRoundTrip.Count);
        Assert.All(heldPerRoundTrip, held => Assert.True(held > 0m));
        Assert.Equal(Cost(30, 8) + Cost(50, 6), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public void Constructor_RejectsInvalidOptions_NamingTheOption()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CreateClient(o => o.MinimumOutputTokens = 0));
        Assert.Equal(nameof(BudgetingChatClientOptions.MinimumOutputTokens), ex.ParamName);

        var empty = Assert.Throws<ArgumentException>(() => CreateClient(o => o.ProjectName = " "));
        Assert.Equal(nameof(BudgetingChatClientOptions.ProjectName), empty.ParamName);

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => CreateClient(o => o.MaxBudget = -1m));
        Assert.Equal(nameof(BudgetingChatClientOptions.MaxBudget), negative.ParamName);
    }

    [Fact]
    public void GetService_ExposesTheStoreAndThePrices()
    {
        using var client = CreateClient();

        Assert.Same(ClientStore, client.GetService<IBudgetStore>());
        Assert.Same(Prices, client.GetService<ModelPriceCatalog>());
        Assert.Same(client, client.GetService<BudgetingChatClient>());
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> FailingStream(Exception exception)
    {
        await Task.Yield();
        throw exception;
#pragma warning disable CS0162 // An iterator needs a yield to be one.
        yield break;
#pragma warning restore CS0162
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> CancelledStream(CancellationTokenSource cts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await cts.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        yield break;
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> CutStream(string text, Exception exception)
    {
        foreach (string chunk in Chunks(text))
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = Model };
        }

        throw exception;
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> GatedStream(Task gate)
    {
        yield return new ChatResponseUpdate(ChatRole.Assistant, "first") { ModelId = Model };
        await gate;
        yield return new ChatResponseUpdate(ChatRole.Assistant, "second") { ModelId = Model };
        yield return new ChatResponseUpdate { Contents = [new UsageContent(Usage(3, 2))], ModelId = Model };
    }
}
