using BudgetChat.Http;
using BudgetChat.Tests;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BudgetChat.LiteLlm.Tests;

public sealed class BudgetManagerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryBudgetStore _store;
    private readonly ModelPriceCatalog _prices = ModelPriceCatalog.CreateDefault();
    private readonly TiktokenTokenEstimator _tokens = new();
    private readonly BudgetManager _manager;

    public BudgetManagerTests()
    {
        _store = new InMemoryBudgetStore(timeProvider: _time);
        _manager = Manager("test_project");
    }

    [Fact]
    public async Task CreateBudget_MakesAValidUser_WithItsLimitAndNoSpend()
    {
        Assert.False(await _manager.IsValidUserAsync("1234"));

        await _manager.CreateBudgetAsync("1234", 10m);

        Assert.True(await _manager.IsValidUserAsync("1234"));
        Assert.Equal(10m, await _manager.GetTotalBudgetAsync("1234"));
        Assert.Equal(0m, await _manager.GetCurrentCostAsync("1234"));
        Assert.Empty(await _manager.GetModelCostAsync("1234"));
        Assert.Equal(["1234"], await _manager.GetUsersAsync());
    }

    [Theory]
    [InlineData("daily", BudgetPeriod.Daily)]
    [InlineData("weekly", BudgetPeriod.Weekly)]
    [InlineData("Monthly", BudgetPeriod.Monthly)]
    [InlineData("yearly", BudgetPeriod.Yearly)]
    [InlineData(null, BudgetPeriod.None)]
    public async Task CreateBudget_TakesLiteLlmsDurationNames(string? duration, BudgetPeriod period)
    {
        BudgetState budget = await _manager.CreateBudgetAsync("1234", 10m, duration);

        Assert.Equal(period, budget.Definition.Period);
    }

    [Fact]
    public async Task CreateBudget_WithABareNullDuration_Compiles_AndMeansNoPeriod()
    {
        BudgetState budget = await _manager.CreateBudgetAsync("1234", 10m, null);

        Assert.Equal(BudgetPeriod.None, budget.Definition.Period);
        Assert.Null(budget.WindowEnd);
    }

    [Fact]
    public async Task CreateBudget_RejectsBadInput_NamingTheParameter()
    {
        Assert.Equal("duration", (await Assert.ThrowsAsync<ArgumentException>(() => _manager.CreateBudgetAsync("1234", 10m, "fortnightly"))).ParamName);
        Assert.Equal("totalBudget", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _manager.CreateBudgetAsync("1234", -1m))).ParamName);
        Assert.Equal("user", (await Assert.ThrowsAsync<ArgumentException>(() => _manager.CreateBudgetAsync(" ", 1m))).ParamName);
        Assert.Equal("duration", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _manager.CreateBudgetAsync("1234", 1m, (BudgetPeriod)42))).ParamName);
        Assert.Empty(await _manager.GetUsersAsync());
    }

    [Fact]
    public async Task CreateBudget_DefaultsCreatedAtToNow_AtEachCall()
    {
        BudgetState first = await _manager.CreateBudgetAsync("a", 1m, BudgetPeriod.Daily);
        _time.Advance(TimeSpan.FromHours(5));
        BudgetState second = await _manager.CreateBudgetAsync("b", 1m, BudgetPeriod.Daily);

        Assert.Equal(Start, first.CreatedAt);
        Assert.Equal(Start.AddHours(5), second.CreatedAt);
    }

    [Fact]
    public async Task CreateBudget_WithCreatedAt_AnchorsRollingWindows()
    {
        using BudgetManager rolling = Manager("rolling", BudgetWindowAlignment.Rolling);

        BudgetState budget = await rolling.CreateBudgetAsync("1234", 10m, BudgetPeriod.Daily, Start.AddHours(-30));

        Assert.Equal(Start.AddHours(-6), budget.WindowStart);
    }

    [Fact]
    public async Task CreateBudget_ForAnExistingUser_ChangesTheLimitAndKeepsSpend()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        await _manager.UpdateCostAsync("1234", "gpt-4o", "hello", "hi there");
        decimal spent = await _manager.GetCurrentCostAsync("1234");

        await _manager.CreateBudgetAsync("1234", 20m, "monthly");

        Assert.Equal(20m, await _manager.GetTotalBudgetAsync("1234"));
        Assert.Equal(spent, await _manager.GetCurrentCostAsync("1234"));
        Assert.True(spent > 0m);
    }

    [Fact]
    public async Task UpdateCost_FromAResponse_PricesItsUsageAndModel()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi"))
        {
            ModelId = "gpt-4o-2024-08-06",
            Usage = new UsageDetails { InputTokenCount = 1_000, CachedInputTokenCount = 400, OutputTokenCount = 200 },
        };

        BudgetState after = await _manager.UpdateCostAsync("1234", response);

        // 600 × $2.5/M + 400 × $1.25/M + 200 × $10/M
        decimal expected = 0.0015m + 0.0005m + 0.002m;
        Assert.Equal(expected, after.Spent);
        Assert.Equal(expected, await _manager.GetCurrentCostAsync("1234"));
        Assert.Equal(expected, (await _manager.GetModelCostAsync("1234"))["gpt-4o-2024-08-06"]);
    }

    [Fact]
    public async Task UpdateCost_FromAResponseWithoutUsageOrModel_Throws_AndChargesNothing()
    {
        await _manager.CreateBudgetAsync("1234", 10m);

        await Assert.ThrowsAsync<ArgumentException>(() => _manager.UpdateCostAsync("1234", new ChatResponse { ModelId = "gpt-4o" }));
        await Assert.ThrowsAsync<ArgumentException>(() => _manager.UpdateCostAsync("1234", new ChatResponse { Usage = new UsageDetails { InputTokenCount = 1 } }));

        Assert.Equal(0m, await _manager.GetCurrentCostAsync("1234"));
    }

    [Fact]
    public async Task UpdateCost_FromAResponseWhoseUsageCountsNoInputOrOutputTokens_Throws_AndChargesNothing()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        var response = new ChatResponse { ModelId = "gpt-4o", Usage = new UsageDetails { TotalTokenCount = 500 } };

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(() => _manager.UpdateCostAsync("1234", response));

        Assert.Equal("response", ex.ParamName);
        Assert.Equal(0m, await _manager.GetCurrentCostAsync("1234"));
    }

    [Fact]
    public async Task UpdateCost_FromTexts_CountsTheirTokens()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        const string input = "What's the weather like in Oslo today?";
        const string output = "It is sunny and 21 degrees in Oslo.";

        await _manager.UpdateCostAsync("1234", "gpt-4", input, output);

        decimal expected = (_tokens.CountTokens(input, "gpt-4") * 0.00003m) + (_tokens.CountTokens(output, "gpt-4") * 0.00006m);
        Assert.Equal(expected, await _manager.GetCurrentCostAsync("1234"));
        Assert.Equal(expected, (await _manager.GetModelCostAsync("1234"))["gpt-4"]);
    }

    [Fact]
    public async Task UpdateCost_AddsUp_ExactlyUnderConcurrency()
    {
        await _manager.CreateBudgetAsync("1234", 1_000m);
        var response = new ChatResponse { ModelId = "gpt-4o-mini", Usage = new UsageDetails { InputTokenCount = 123, OutputTokenCount = 45 } };

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => _manager.UpdateCostAsync("1234", response))));

        Assert.Equal(200 * _prices.GetPrice("gpt-4o-mini").GetCost(123, 45), await _manager.GetCurrentCostAsync("1234"));
    }

    [Fact]
    public async Task UnknownUser_ThrowsAnExceptionNamingTheUser()
    {
        Task[] calls =
        [
            _manager.GetTotalBudgetAsync("ghost"),
            _manager.GetCurrentCostAsync("ghost"),
            _manager.GetModelCostAsync("ghost"),
            _manager.UpdateCostAsync("ghost", "gpt-4o", "a", "b"),
            _manager.ResetCostAsync("ghost"),
            _manager.ResetOnDurationAsync("ghost"),
            _manager.ProjectedCostAsync("gpt-4o", [new ChatMessage(ChatRole.User, "hi")], "ghost"),
        ];

        foreach (Task call in calls)
        {
            var ex = await Assert.ThrowsAsync<BudgetNotFoundException>(() => call);
            Assert.Contains("'ghost'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("CreateBudgetAsync", ex.Message, StringComparison.Ordinal);
            Assert.Equal("user:ghost", ex.Key);
        }
    }

    [Fact]
    public async Task ProjectedCost_IsSpendPlusThePricedInputTokens()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        await _manager.UpdateCostAsync("1234", "gpt-4o", "earlier question", "earlier answer");
        decimal spent = await _manager.GetCurrentCostAsync("1234");
        ChatMessage[] messages = [new(ChatRole.User, "How much will this cost me?")];

        decimal projected = await _manager.ProjectedCostAsync("gpt-4o", messages, "1234");

        Assert.Equal(spent + (_tokens.CountInputTokens(messages, null, "gpt-4o") * 0.0000025m), projected);
    }

    [Fact]
    public async Task ResetCost_ZeroesSpend()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        await _manager.UpdateCostAsync("1234", "gpt-4o", "a", "b");

        BudgetState after = await _manager.ResetCostAsync("1234");

        Assert.Equal(0m, after.Spent);
        Assert.Empty(await _manager.GetModelCostAsync("1234"));
    }

    [Fact]
    public async Task ResetOnDuration_StartsANewWindow_OnceThePeriodHasEnded()
    {
        await _manager.CreateBudgetAsync("1234", 10m, "monthly");
        await _manager.UpdateCostAsync("1234", "gpt-4o", "a", "b");

        _time.SetUtcNow(new DateTimeOffset(2026, 3, 31, 23, 59, 0, TimeSpan.Zero));
        Assert.True((await _manager.ResetOnDurationAsync("1234")).Spent > 0m);

        _time.SetUtcNow(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        BudgetState april = await _manager.ResetOnDurationAsync("1234");
        Assert.Equal(0m, april.Spent);
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), april.WindowStart);
    }

    [Fact]
    public async Task UpdateBudgetAllUsers_RollsOverEveryEndedWindow()
    {
        await _manager.CreateBudgetAsync("daily", 10m, "daily");
        await _manager.CreateBudgetAsync("yearly", 10m, "yearly");
        await _manager.CreateBudgetAsync("forever", 10m);

        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(1, await _manager.UpdateBudgetAllUsersAsync());
    }

    [Fact]
    public async Task Projects_NeverSeeEachOthersUsers()
    {
        using BudgetManager other = Manager("other_project");
        await _manager.CreateBudgetAsync("1234", 10m);

        Assert.False(await other.IsValidUserAsync("1234"));
        Assert.Empty(await other.GetUsersAsync());
        await other.CreateBudgetAsync("1234", 99m);
        Assert.Equal(10m, await _manager.GetTotalBudgetAsync("1234"));
    }

    [Fact]
    public async Task SharesNumbersWithUseBudget_OnTheSameStoreAndProject()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi"))
            {
                ModelId = "gpt-4o",
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 50 },
            }),
        };
        using IChatClient client = new ChatClientBuilder(inner).UseBudget(_store, o => o.ProjectName = "test_project").Build();

        await client.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o" }.WithBudgetUser("1234"));

        Assert.Equal((100 * 0.0000025m) + (50 * 0.00001m), await _manager.GetCurrentCostAsync("1234"));
    }

    [Fact]
    public async Task UpdateCost_SendsAlertsToTheSinks()
    {
        var sink = Substitute.For<IBudgetAlertSink>();
        using var manager = new BudgetManager("alerts", _store, new BudgetManagerOptions { AlertSinks = [sink], TimeProvider = _time });
        await _store.SetBudgetAsync("alerts", "user:1234", new BudgetDefinition(0.00001m, alertThresholds: [1m]));

        await manager.UpdateCostAsync("1234", "gpt-4o", "a fairly long question that costs something", "and a long answer that costs more");

        await sink.Received(1).OnBudgetAlertAsync(Arg.Is<BudgetAlert>(a => a.Key == "user:1234" && a.Threshold == 1m), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Reserve_64CallersAtOnce_AgainstABudgetFor10_Admit10()
    {
        ChatMessage[] messages = [new(ChatRole.User, "Hey, how's it going?")];
        decimal worstCase = _prices.GetPrice("gpt-4o").GetWorstCaseCost(_tokens.CountInputTokens(messages, null, "gpt-4o"), 100);
        await _manager.CreateBudgetAsync("1234", 10 * worstCase);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<BudgetLease>[] reserving = [.. Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            await go.Task;
            return await _manager.ReserveAsync("1234", "gpt-4o", messages, maxOutputTokens: 100);
        }))];
        go.SetResult();
        BudgetLease[] leases = await Task.WhenAll(reserving);

        Assert.Equal(10, leases.Count(l => l.IsAcquired));
        Assert.All(leases.Where(l => !l.IsAcquired), l => Assert.Equal("user:1234", l.RefusingKey));
        BudgetState held = (await _store.GetBudgetAsync("test_project", "user:1234"))!;
        Assert.Equal(10 * worstCase, held.Reserved);
        foreach (BudgetLease lease in leases)
        {
            await lease.DisposeAsync();
        }

        Assert.Equal(0m, (await _store.GetBudgetAsync("test_project", "user:1234"))!.Reserved);
        Assert.Equal(0m, await _manager.GetCurrentCostAsync("1234"));
    }

    [Fact]
    public async Task Reserve_ThenSettle_ChargesTheResponsesCost_AndHoldsNothingMore()
    {
        await _manager.CreateBudgetAsync("1234", 10m);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "fine"))
        {
            ModelId = "gpt-4o",
            Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 30 },
        };

        await using BudgetLease lease = await _manager.ReserveAsync("1234", "gpt-4o", [new(ChatRole.User, "hi")], maxOutputTokens: 256);
        Assert.True(lease.IsAcquired);
        Assert.True((await _store.GetBudgetAsync("test_project", "user:1234"))!.Reserved > 0m);
        BudgetCompletion completion = await _manager.SettleAsync(lease, response);

        Assert.Equal(BudgetCompletionStatus.Completed, completion.Status);
        BudgetState budget = (await _store.GetBudgetAsync("test_project", "user:1234"))!;
        Assert.Equal(_prices.GetPrice("gpt-4o").GetCost(12, 30), budget.Spent);
        Assert.Equal(budget.Spent, budget.SpendByModel["gpt-4o"]);
        Assert.Equal(0m, budget.Reserved);
    }

    [Fact]
    public async Task Reserve_ForAUserWithoutABudget_ThrowsNamingTheUser()
    {
        var ex = await Assert.ThrowsAsync<BudgetNotFoundException>(() => _manager.ReserveAsync("nobody", "gpt-4o", [new(ChatRole.User, "hi")], 10));

        Assert.Contains("'nobody'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Reserve_RefusesOutputTokensThatAreNotPositive(int maxOutputTokens)
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _manager.ReserveAsync("1234", "gpt-4o", [new(ChatRole.User, "hi")], maxOutputTokens));

        Assert.Equal("maxOutputTokens", ex.ParamName);
    }

    [Fact]
    public void Hosted_KeepsBudgetsOnTheBudgetService()
    {
        using var manager = new BudgetManager("p", BudgetClientType.Hosted, new Uri("http://127.0.0.1:5380"));

        var hosted = Assert.IsType<HostedBudgetStore>(manager.Store);
        Assert.Equal(new Uri("http://127.0.0.1:5380/"), hosted.BaseAddress);
    }

    [Fact]
    public void Hosted_WithoutAnAddress_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BudgetManager("p", BudgetClientType.Hosted));

        Assert.Equal("apiBase", ex.ParamName);
    }

    private BudgetManager Manager(string project, BudgetWindowAlignment alignment = BudgetWindowAlignment.Calendar) =>
        new(project, _store, new BudgetManagerOptions { Prices = _prices, TokenEstimator = _tokens, TimeProvider = _time, Alignment = alignment });
}
