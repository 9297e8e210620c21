using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using System.Diagnostics.Metrics;

namespace BudgetChat.Tests.Middleware;

/// <summary>The middleware under budget policies: token and request limits, per-model caps, observe mode and the cheaper-model ladder.</summary>
public sealed class PolicyTests : BudgetingChatClientFixture, IDisposable
{
    private const string Cheap = "cheap-model";
    private const string Free = "local-model";

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeLogCollector _logs = new();

    public PolicyTests()
    {
        Prices.SetPrice(Cheap, new ModelPrice(InputPrice / 10, OutputPrice / 10) { MaxOutputTokens = ModelMaxOutput });
        Prices.SetPrice(Free, new ModelPrice(0m, 0m) { MaxOutputTokens = ModelMaxOutput });
    }

    public static TheoryData<bool> Streaming => new() { false, true };

    public void Dispose() => _services.Dispose();

    // ---------------------------------------------------------------- tokens and requests

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ATokenLimit_HoldsTheWorstCaseTokens_AndIsChargedTheReportedCount(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely)]));
        decimal heldDuringCall = -1;
        Answer("Hi there", Usage(input: 12, output: 7), _ => heldDuringCall = UserBudgetAsync("alice").Result.Windows[1].Reserved);
        using BudgetingChatClient client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(InputTokens + ModelMaxOutput, heldDuringCall);
        BudgetState budget = await UserBudgetAsync("alice");
        Assert.Equal(19m, budget.Windows[1].Spent);
        Assert.Equal(0m, budget.Windows[1].Reserved);
        Assert.Equal(Cost(12, 7), budget.Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ATokenLimit_LowersMaxOutputTokensToWhatItLeaves(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Tokens(60, BudgetPeriod.Minutely)]));
        int? sent = null;
        Answer("ok", Usage(10, 2), options => sent = options?.MaxOutputTokens);
        using BudgetingChatClient client = CreateClient();

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(50, sent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ATokenLimit_RefusesNamingItsWindow_WhenTooFewTokensAreLeft(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Tokens(20, BudgetPeriod.Minutely)]));
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient();

        BudgetExceededException ex = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
        Assert.Equal("per-minute tokens", ex.WindowName);
        Assert.Equal(BudgetUnit.Tokens, ex.Unit);
        Assert.Equal(20m, ex.Limit);
        Assert.Equal(InputTokens + ModelMaxOutput, ex.Estimate);
        Assert.Equal(Time.GetUtcNow().AddMinutes(1), ex.ResetsAt);
        Assert.Contains("its per-minute tokens limit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("110 tokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARequestLimit_RefusesTheCallAfterTheLast_AndAdmitsAgainNextMinute()
    {
        await SetUserBudgetAsync(new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Requests(3, BudgetPeriod.Minutely)]));
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient();

        for (int i = 0; i < 3; i++)
        {
            await client.GetResponseAsync("hi", ForUser("alice"));
        }

        BudgetExceededException ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", ForUser("alice")));
        Assert.Equal("per-minute requests", ex.WindowName);
        Assert.Equal(3, InnerCalls);

        Time.Advance(TimeSpan.FromMinutes(1));
        await client.GetResponseAsync("hi", ForUser("alice"));
        Assert.Equal(4, InnerCalls);
    }

    [Fact]
    public async Task AModelCap_RefusesOnlyItsModels()
    {
        await SetUserBudgetAsync(new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Dollars(0.1m, BudgetPeriod.Daily).ForModels([Model], "premium")]));
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient(o => o.ReduceMaxOutputTokensToFit = false);

        BudgetExceededException ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", ForUser("alice")));
        Assert.Equal("premium", ex.WindowName);

        await client.GetResponseAsync("hi", new ChatOptions { ModelId = Cheap }.WithBudgetUser("alice"));
        Assert.Equal(1, InnerCalls);
    }

    // ---------------------------------------------------------------- observe

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ObserveMode_OnTheClient_LetsARefusedCallThrough_ChargesIt_AndReportsWouldRefuse(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.05m, BudgetPeriod.Daily));
        using var reservations = new MetricCollector<long>(Meters, BudgetChatTelemetry.MeterName, "budgetchat.reservations");
        decimal heldDuringCall = -1;
        Answer("ok", Usage(10, 90), _ => heldDuringCall = UserBudgetAsync("alice").Result.Reserved);
        using BudgetingChatClient client = CreateInstrumentedClient(o => o.Enforcement = BudgetEnforcement.Observe);

        await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(WorstCase, heldDuringCall);
        Assert.Equal(Cost(10, 90), (await UserBudgetAsync("alice")).Spent);
        Assert.Equal("would_refuse", Assert.Single(reservations.GetMeasurementSnapshot()).Tags["budgetchat.outcome"]);
        FakeLogRecord warning = Assert.Single(_logs.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("daily limit of budget 'user:alice'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ObserveMode_OnABudget_LetsItsRefusalsThrough_WhileAnEnforcingBudgetStillRefuses()
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.05m).WithEnforcement(BudgetEnforcement.Observe));
        Answer("ok", Usage(10, 90));
        using BudgetingChatClient client = CreateClient(o => o.MaxBudget = 0.4m);

        await client.GetResponseAsync("hi", ForUser("alice"));
        await client.GetResponseAsync("hi", ForUser("alice"));
        Assert.Equal(2 * Cost(10, 90), (await UserBudgetAsync("alice")).Spent);

        // The global budget enforces: $0.38 of $0.40 is spent, and what is left pays for 5 output tokens, under the minimum.
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", ForUser("alice")));
        Assert.Equal(2, InnerCalls);
    }

    [Fact]
    public async Task ObserveMode_InCheckThenCharge_LetsAUsedUpBudgetThrough()
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.01m));
        await Store.ChargeAsync("default", [BudgetKeys.ForUser("alice")], 0.02m, null, "c0");
        Answer("ok", Usage(10, 2));
        using BudgetingChatClient client = CreateClient(o =>
        {
            o.Mode = BudgetEnforcementMode.CheckThenCharge;
            o.Enforcement = BudgetEnforcement.Observe;
        });

        await client.GetResponseAsync("hi", ForUser("alice"));

        Assert.Equal(0.02m + Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
    }

    // ---------------------------------------------------------------- the cheaper-model ladder

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheLadder_SendsACallThatDoesNotFit_ToTheNextModel_AndSaysSo(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.05m, BudgetPeriod.Daily));
        using var downgrades = new MetricCollector<long>(Meters, BudgetChatTelemetry.MeterName, "budgetchat.downgrades");
        string? asked = null;
        Answer("ok", Usage(10, 20), options => asked = options?.ModelId);
        var seen = new List<BudgetModelDowngrade>();
        using BudgetingChatClient client = CreateInstrumentedClient(o =>
        {
            o.CheaperModels[Model] = [Cheap];
            o.ReduceMaxOutputTokensToFit = false;
            o.OnModelDowngraded = seen.Add;
        });

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(Cheap, asked);
        Assert.Equal(Cheap, response.ModelId);
        Assert.Equal(Prices.GetPrice(Cheap).GetCost(10, 20), (await UserBudgetAsync("alice")).Spent);
        Assert.Equal(new BudgetModelDowngrade("default", Model, Cheap, "refused", "user:alice", "daily"), Assert.Single(seen));
        CollectedMeasurement<long> counted = Assert.Single(downgrades.GetMeasurementSnapshot());
        Assert.Equal(Model, counted.Tags["budgetchat.model.from"]);
        Assert.Equal(Cheap, counted.Tags["budgetchat.model.to"]);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheLadder_ReducesOutputAtEachStep_BeforeGoingToTheNext(bool streaming)
    {
        // $0.15 leaves the first model 70 output tokens: reduced, not downgraded.
        await SetUserBudgetAsync(new BudgetDefinition(0.15m));
        (string? Model, int? Max) asked = default;
        Answer("ok", Usage(10, 20), options => asked = (options?.ModelId, options?.MaxOutputTokens));
        using BudgetingChatClient client = CreateClient(o => o.CheaperModels[Model] = [Cheap]);

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal((null, 70), asked);
        Assert.Equal(Model, response.ModelId);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheLadder_RefusesOnlyWhenTheLastStepDoesNotFit(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.001m));
        using var reservations = new MetricCollector<long>(Meters, BudgetChatTelemetry.MeterName, "budgetchat.reservations");
        Answer("ok", Usage(10, 20));
        using BudgetingChatClient client = CreateInstrumentedClient(o => o.CheaperModels[Model] = [Cheap]);

        await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
        Assert.Equal("refused", Assert.Single(reservations.GetMeasurementSnapshot()).Tags["budgetchat.outcome"]);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheLadder_AlwaysAdmitsAFreeModel_EvenOnASpentBudget(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.01m));
        await Store.ChargeAsync("default", [BudgetKeys.ForUser("alice")], 0.05m, null, "c0");
        Answer("ok", Usage(10, 20));
        using BudgetingChatClient client = CreateClient(o => o.CheaperModels[Model] = [Cheap, Free]);

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(Free, response.ModelId);
        Assert.Equal(0.05m, (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheLadder_StepsDownEarly_WhenABudgetHasLessLeftThanTheShare(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition(1m, BudgetPeriod.Monthly));
        await Store.ChargeAsync("default", [BudgetKeys.ForUser("alice")], 0.85m, null, "c0");
        Answer("ok", Usage(10, 20));
        var seen = new List<BudgetModelDowngrade>();
        using BudgetingChatClient client = CreateClient(o =>
        {
            o.CheaperModels[Model] = [Cheap];
            o.DowngradeBelowRemainingShare = 0.2m;
            o.OnModelDowngraded = seen.Add;
        });

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal(Cheap, response.ModelId);
        Assert.Equal(new BudgetModelDowngrade("default", Model, Cheap, "low_budget", "user:alice", "monthly"), Assert.Single(seen));
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task TheLadder_CallsAStepThroughItsOwnClient(bool streaming)
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.05m));
        Answer("from the inner client", Usage(10, 20));

        // A local model that does not name itself in its answers: the response still says which model answered.
        var local = new TestChatClient
        {
            GetResponseAsyncCallback = (_, options, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "from the local model")) { Usage = Usage(10, 20) }),
            GetStreamingResponseAsyncCallback = (_, options, ct) => StreamAsync("from the local model", Usage(10, 20), null!, ct),
        };
        using BudgetingChatClient client = CreateClient(o =>
        {
            o.CheaperModels[Model] = [Free];
            o.ModelClients[Free] = local;
            o.ReduceMaxOutputTokensToFit = false;
        });

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("from the local model", response.Text);
        Assert.Equal(Free, response.ModelId);
        Assert.Equal(0, InnerCalls);
    }

    [Fact]
    public async Task TheLadder_HoldsTheNextModelsWholeWorstCase_AfterOutputWasLoweredForTheModelBefore()
    {
        // The first model's output is lowered to 20 for its $0.05 cap, then its 25-token cap refuses 10 + 20 tokens: the
        // cheaper model is not bound by either, and must hold its own worst case (100 output tokens), not the 20.
        await SetUserBudgetAsync(new BudgetDefinition(
        [
            BudgetLimit.Dollars(10m),
            BudgetLimit.Dollars(0.05m, BudgetPeriod.Monthly).ForModels([Model], "premium"),
            BudgetLimit.Tokens(25, BudgetPeriod.Daily).ForModels([Model], "premium tokens"),
        ]));
        decimal heldDuringCall = -1;
        Answer("ok", Usage(10, 20), _ => heldDuringCall = UserBudgetAsync("alice").Result.Reserved);
        using BudgetingChatClient client = CreateClient(o => o.CheaperModels[Model] = [Cheap]);

        ChatResponse response = await client.GetResponseAsync("hi", ForUser("alice"));

        Assert.Equal(Cheap, response.ModelId);
        Assert.Equal(Prices.GetPrice(Cheap).GetCost(InputTokens, ModelMaxOutput), heldDuringCall);
    }

    [Fact]
    public async Task TheLadder_GoesAhead_WhenTheDowngradeCallbackThrows()
    {
        await SetUserBudgetAsync(new BudgetDefinition(0.05m));
        Answer("ok", Usage(10, 20));
        using BudgetingChatClient client = CreateInstrumentedClient(o =>
        {
            o.CheaperModels[Model] = [Cheap];
            o.ReduceMaxOutputTokensToFit = false;
            o.OnModelDowngraded = _ => throw new InvalidOperationException("observer bug");
        });

        ChatResponse response = await client.GetResponseAsync("hi", ForUser("alice"));

        Assert.Equal(Cheap, response.ModelId);
        await AssertNothingHeldAsync();
        Assert.Contains(_logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("OnModelDowngraded threw", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLadderOptions_AreValidated_NamingTheSetting()
    {
        var options = new BudgetingChatClientOptions();
        options.CheaperModels[Model] = [Model];
        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("CheaperModels:test-model", ex.Message, StringComparison.Ordinal);

        options.CheaperModels[Model] = [" "];
        Assert.Contains("CheaperModels:test-model:0 is blank", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);

        options.CheaperModels[Model] = [];
        Assert.Contains("names no cheaper model", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    private IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    private Task<BudgetState> SetUserBudgetAsync(BudgetDefinition definition) =>
        Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), definition).AsTask();

    private BudgetingChatClient CreateInstrumentedClient(Action<BudgetingChatClientOptions>? configure = null)
    {
        var options = new BudgetingChatClientOptions();
        configure?.Invoke(options);
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)));
        return new BudgetingChatClient(Inner, Store, options, Prices, Estimator, loggers, Time, Meters);
    }
}
