using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BudgetChat.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Http.Tests;

/// <summary>What only a store on the other side of a network has to get right: lost responses, restarts, outages, keys.</summary>
public sealed class HostedBudgetStoreTests : IAsyncLifetime
{
    private const string Project = "acme";
    private const string Key = "user:alice";

    private BudgetService _service = null!;

    public async Task InitializeAsync() => _service = await BudgetService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task RetriedSettle_AfterTheResponseWasLost_ChargesOnce()
    {
        var dropper = new DropResponseHandler("/reservations/settle");
        HostedBudgetStore store = CreateStoreSendingThrough(dropper);
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, [Key], 0.5m, "r1", DateTimeOffset.UtcNow.AddMinutes(5))).IsReserved);

        BudgetCompletion completion = await store.SettleAsync(Project, "r1", 0.25m, "gpt-4o");

        Assert.Equal(1, dropper.Dropped); // the first answer never arrived: the retry got the server's memory of the id
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, completion.Status);
        BudgetState budget = (await store.GetBudgetAsync(Project, Key))!;
        Assert.Equal(0.25m, budget.Spent);
        Assert.Equal(0m, budget.Reserved);
    }

    [Fact]
    public async Task RetriedReserve_AfterTheResponseWasLost_HoldsOnce()
    {
        var dropper = new DropResponseHandler("/reservations");
        HostedBudgetStore store = CreateStoreSendingThrough(dropper);
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(1m));

        BudgetReservationResult result = await store.ReserveAsync(Project, [Key], 0.4m, "r1", DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal(1, dropper.Dropped);
        Assert.True(result.IsReserved);
        Assert.Equal(0.4m, (await store.GetBudgetAsync(Project, Key))!.Reserved);
    }

    [Fact]
    public async Task RetriedCharge_AfterTheResponseWasLost_ChargesOnce()
    {
        var dropper = new DropResponseHandler("/charges");
        HostedBudgetStore store = CreateStoreSendingThrough(dropper);
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(1m));

        await store.ChargeAsync(Project, [Key], 0.1m, null, "c1");

        Assert.Equal(1, dropper.Dropped);
        Assert.Equal(0.1m, (await store.GetBudgetAsync(Project, Key))!.Spent);
    }

    [Fact]
    public async Task Restart_KeepsEverySettledCharge_AndRemembersSettledIds()
    {
        HostedBudgetStore store = _service.CreateStore();
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(100m, BudgetPeriod.Monthly));
        decimal expected = 0m;
        for (int i = 0; i < 40; i++)
        {
            decimal cost = 0.001m * (i + 1);
            Assert.True((await store.ReserveAsync(Project, [Key], 1m, $"r{i}", DateTimeOffset.UtcNow.AddMinutes(5))).IsReserved);
            Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, $"r{i}", cost, "gpt-4o")).Status);
            expected += cost;
        }

        Assert.True((await store.ReserveAsync(Project, [Key], 1m, "in-flight", DateTimeOffset.UtcNow.AddMinutes(5))).IsReserved);

        await _service.RestartAsync();
        HostedBudgetStore after = _service.CreateStore();

        BudgetState budget = (await after.GetBudgetAsync(Project, Key))!;
        Assert.Equal(expected, budget.Spent);
        Assert.Equal(expected, budget.SpendByModel["gpt-4o"]);
        Assert.Equal(1m, budget.Reserved);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await after.SettleAsync(Project, "r7", 5m, "gpt-4o")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await after.SettleAsync(Project, "in-flight", 0.5m, "gpt-4o")).Status);
        Assert.Equal(expected + 0.5m, (await after.GetBudgetAsync(Project, Key))!.Spent);
    }

    [Fact]
    public async Task UnreachableService_IsReportedAsUnavailable()
    {
        using HostedBudgetStore store = HostedBudgetStore.Create(ClosedPortAddress()) is HostedBudgetStore s ? s : throw new InvalidOperationException();

        var ex = await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => store.ReserveAsync(Project, [Key], 0.1m, "r1", DateTimeOffset.UtcNow.AddMinutes(1)).AsTask());

        Assert.Contains("cannot be reached", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("ftp://127.0.0.1/")]
    public void Create_RejectsAnAddressThatIsNotAbsoluteHttp(string address)
    {
        var ex = Assert.Throws<ArgumentException>(() => HostedBudgetStore.Create(new Uri(address, UriKind.RelativeOrAbsolute)));
        Assert.Equal(nameof(HostedBudgetStoreOptions.BaseAddress), ex.ParamName);
    }

    [Fact]
    public void Options_AreCheckedWhenTheStoreIsResolved()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddHostedBudgetStore(o => { o.BaseAddress = new Uri("http://127.0.0.1:1/"); o.MaxRetries = -1; })
            .BuildServiceProvider();

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredService<IBudgetStore>());
        Assert.Contains("HostedBudgetStoreOptions", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Middleware_FailsClosed_WhenTheServiceIsDown(bool streaming)
    {
        using var store = (HostedBudgetStore)HostedBudgetStore.Create(ClosedPortAddress());
        var model = new FakeChatClient("gpt-4o", 100, 20);
        using IChatClient client = new ChatClientBuilder(model).UseBudget(store, o => o.MaxBudget = 10m).Build();

        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => Call(client, streaming));

        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Middleware_FailsOpen_WhenAsked_AndTheServiceIsDown(bool streaming)
    {
        using var store = (HostedBudgetStore)HostedBudgetStore.Create(ClosedPortAddress());
        var model = new FakeChatClient("gpt-4o", 100, 20);
        using IChatClient client = new ChatClientBuilder(model)
            .UseBudget(store, o => { o.MaxBudget = 10m; o.StoreFailureMode = BudgetStoreFailureMode.FailOpen; })
            .Build();

        ChatResponse response = await Call(client, streaming);

        Assert.Equal("ok", response.Text);
        Assert.Equal(1, model.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Middleware_ChargesTheService(bool streaming)
    {
        HostedBudgetStore store = _service.CreateStore();
        var model = new FakeChatClient("gpt-4o", 1_000, 200);
        using IChatClient client = new ChatClientBuilder(model).UseBudget(store, o => o.DefaultUserBudget = new BudgetDefinition(5m)).Build();

        await Call(client, streaming, new ChatOptions().WithBudgetUser("alice"));

        decimal expected = ModelPriceCatalog.CreateDefault().GetPrice("gpt-4o").GetCost(1_000, 200);
        BudgetState budget = (await store.GetBudgetAsync("default", Key))!;
        Assert.Equal(expected, budget.Spent);
        Assert.Equal(0m, budget.Reserved);
    }

    [Fact]
    public async Task WrongKey_AndAnotherProjectsKey_AreRefused()
    {
        await using BudgetService secured = await BudgetService.StartAsync(apiKeys: [("acme", "acme-key-0123456789"), ("globex", "globex-key-0123456789")]);

        HostedBudgetStore wrong = secured.CreateStore(apiKey: "not-a-key-0123456789");
        HostedBudgetStore other = secured.CreateStore(apiKey: "globex-key-0123456789");
        HostedBudgetStore right = secured.CreateStore(apiKey: "acme-key-0123456789");

        var unauthorized = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => wrong.SetBudgetAsync(Project, Key, new BudgetDefinition(1m)).AsTask());
        var forbidden = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => other.SetBudgetAsync(Project, Key, new BudgetDefinition(1m)).AsTask());
        Assert.Contains("401", unauthorized.Message, StringComparison.Ordinal);
        Assert.Contains("403", forbidden.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("acme-key", unauthorized.Message + forbidden.Message, StringComparison.Ordinal);
        Assert.Null(await right.GetBudgetAsync(Project, Key));
        Assert.Equal(1m, (await right.SetBudgetAsync(Project, Key, new BudgetDefinition(1m))).Limit);
    }

    [Fact]
    public async Task BudgetManager_Hosted_KeepsBudgetsOnTheService()
    {
        var manager = new BudgetManager(Project, BudgetClientType.Hosted, _service.BaseAddress);
        await manager.CreateBudgetAsync("alice", 2m, BudgetPeriod.Daily);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
        {
            ModelId = "gpt-4o",
            Usage = new UsageDetails { InputTokenCount = 1_000, OutputTokenCount = 100 },
        };
        await manager.UpdateCostAsync("alice", response);

        decimal expected = ModelPriceCatalog.CreateDefault().GetPrice("gpt-4o").GetCost(1_000, 100);
        HostedBudgetStore store = _service.CreateStore();
        BudgetState budget = (await store.GetBudgetAsync(Project, Key))!;
        Assert.Equal(2m, budget.Limit);
        Assert.Equal(expected, budget.Spent);
        Assert.Equal(expected, await manager.GetCurrentCostAsync("alice"));
    }

    [Fact]
    public async Task DefinitionCache_AnswersGetOrCreateWithoutAskingAgain_UntilTheBudgetChanges()
    {
        var counter = new CountingHandler();
        HostedBudgetStore store = _service.CreateStore(configure: s =>
        {
            s.AddHybridCache();
            SendThrough(s, counter);
        }, cacheFor: TimeSpan.FromMinutes(1));

        await store.GetOrCreateBudgetAsync(Project, Key, new BudgetDefinition(3m));
        BudgetState cached = await store.GetOrCreateBudgetAsync(Project, Key, new BudgetDefinition(3m));
        Assert.Equal(1, counter.Count("/get-or-create"));
        Assert.Equal(3m, cached.Limit);

        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(4m));
        BudgetState fresh = await store.GetOrCreateBudgetAsync(Project, Key, new BudgetDefinition(3m));
        Assert.Equal(2, counter.Count("/get-or-create"));
        Assert.Equal(4m, fresh.Limit);

        // Reservations are never cached.
        await store.ReserveAsync(Project, [Key], 1m, "r1", DateTimeOffset.UtcNow.AddMinutes(1));
        await store.ReserveAsync(Project, [Key], 1m, "r2", DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(2, counter.Count("/reservations"));
    }

    [Fact]
    public async Task LiteLlmProtocol_ReadsAndWritesThroughGetBudgetAndSetBudget()
    {
        HostedBudgetStore compat = _service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        HostedBudgetStore atomic = _service.CreateStore();

        await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(1m, BudgetPeriod.Daily));
        Assert.True((await compat.ReserveAsync(Project, [Key], 0.6m, "r1", DateTimeOffset.UtcNow.AddMinutes(1))).IsReserved);
        BudgetReservationResult second = await compat.ReserveAsync(Project, [Key], 0.6m, "r2", DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, second.Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await compat.SettleAsync(Project, "r1", 0.2m, "gpt-4o")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await compat.SettleAsync(Project, "r1", 0.2m, "gpt-4o")).Status);
        await compat.ChargeAsync(Project, [Key], 0.05m, null, "c1");

        BudgetState seenByTheService = (await atomic.GetBudgetAsync(Project, Key))!;
        Assert.Equal(0.25m, seenByTheService.Spent);
        Assert.Equal(0.2m, seenByTheService.SpendByModel["gpt-4o"]);
        Assert.Equal(1m, seenByTheService.Limit);
        Assert.Equal(BudgetPeriod.Daily, seenByTheService.Definition.Period);

        BudgetState seenByCompat = (await compat.GetBudgetAsync(Project, Key))!;
        Assert.Equal(0.25m, seenByCompat.Spent);
        Assert.Equal(BudgetPeriod.Daily, seenByCompat.Definition.Period);
        Assert.Equal(seenByCompat.WindowStart.AddDays(1), seenByCompat.WindowEnd);
        Assert.Single(await compat.ListBudgetsAsync(Project));
        Assert.True(await compat.DeleteBudgetAsync(Project, Key));
        Assert.Null(await atomic.GetBudgetAsync(Project, Key));
    }

    [Fact]
    public async Task LiteLlmProtocol_StartsANewWindow_OnceTheDurationHasPassed()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using BudgetService service = await BudgetService.StartAsync(time);
        HostedBudgetStore compat = service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(1m, BudgetPeriod.Daily));
        await compat.ChargeAsync(Project, [Key], 0.9m, "gpt-4o", "c1");
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await compat.ReserveAsync(Project, [Key], 0.2m, "r1", time.GetUtcNow().AddMinutes(5))).Status);

        time.Advance(TimeSpan.FromDays(1));

        Assert.True((await compat.ReserveAsync(Project, [Key], 0.2m, "r2", time.GetUtcNow().AddMinutes(5))).IsReserved);
        BudgetState budget = (await compat.GetBudgetAsync(Project, Key))!;
        Assert.Equal(0m, budget.Spent);
        Assert.Equal(time.GetUtcNow(), budget.WindowStart);
    }

    [Fact]
    public async Task LiteLlmProtocol_KeepsTheWindowStart_WhileCharging_SoTheSpendResetsOnceTheDurationHasPassed()
    {
        DateTimeOffset start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using BudgetService service = await BudgetService.StartAsync(time);
        HostedBudgetStore compat = service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        HostedBudgetStore native = service.CreateStore();
        await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(10m, BudgetPeriod.Daily));

        for (int i = 1; i <= 5; i++)
        {
            time.Advance(TimeSpan.FromHours(4));
            await compat.ChargeAsync(Project, [Key], 1m, "gpt-4o", $"c{i}");
        }

        BudgetState during = (await native.GetBudgetAsync(Project, Key))!;
        time.Advance(TimeSpan.FromHours(4)); // a day after the window started, with charges arriving all along
        await compat.ChargeAsync(Project, [Key], 1m, "gpt-4o", "c6");
        BudgetState next = (await native.GetBudgetAsync(Project, Key))!;
        BudgetState nextSeenByCompat = (await compat.GetBudgetAsync(Project, Key))!;

        Assert.Equal(start, during.WindowStart);
        Assert.Equal(5m, during.Spent);
        Assert.Equal(start.AddDays(1), next.WindowStart);
        Assert.Equal(1m, next.Spent);
        Assert.Equal(start.AddDays(1), nextSeenByCompat.WindowStart);
        Assert.Equal(1m, nextSeenByCompat.Spent);
    }

    [Fact]
    public async Task LiteLlmProtocol_KeepsTheWindowStart_WhenTheLimitChanges()
    {
        DateTimeOffset start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using BudgetService service = await BudgetService.StartAsync(time);
        HostedBudgetStore compat = service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        HostedBudgetStore native = service.CreateStore();
        await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(1m, BudgetPeriod.Daily));
        await compat.ChargeAsync(Project, [Key], 0.5m, null, "c1");
        time.Advance(TimeSpan.FromHours(3));

        BudgetState changed = await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(2m, BudgetPeriod.Daily));
        BudgetState seenByTheService = (await native.GetBudgetAsync(Project, Key))!;

        Assert.Equal(start, changed.WindowStart);
        Assert.Equal(start, seenByTheService.WindowStart);
        Assert.Equal(2m, seenByTheService.Limit);
        Assert.Equal(0.5m, seenByTheService.Spent);
    }

    [Fact]
    public async Task LiteLlmProtocol_CountsTheWindowFromLastUpdatedAt_WrittenByAnotherWriter()
    {
        DateTimeOffset now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var serviceTime = new FakeTimeProvider(now);
        var clientTime = new FakeTimeProvider(now);
        await using BudgetService service = await BudgetService.StartAsync(serviceTime);
        HostedBudgetStore native = service.CreateStore();
        HostedBudgetStore compat = service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm, configure: s => s.AddSingleton<TimeProvider>(clientTime));

        // Created ten days ago; its window started two hours ago, which /get_budget says as last_updated_at.
        var daily = new BudgetDefinition(1m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling);
        await native.SetBudgetAsync(Project, Key, daily, now.AddDays(-10));
        await native.SetBudgetAsync(Project, Key, daily, now.AddHours(-2));
        await native.ChargeAsync(Project, [Key], 0.7m, "gpt-4o", "c1");

        BudgetState within = (await compat.GetBudgetAsync(Project, Key))!;
        BudgetReservationResult refused = await compat.ReserveAsync(Project, [Key], 0.5m, "r1", clientTime.GetUtcNow().AddMinutes(5));

        // The service's clock is behind this client's: it has not rolled the window over, so the client has to.
        clientTime.Advance(TimeSpan.FromHours(22));
        BudgetState after = (await compat.GetBudgetAsync(Project, Key))!;
        BudgetReservationResult admitted = await compat.ReserveAsync(Project, [Key], 0.5m, "r2", clientTime.GetUtcNow().AddMinutes(5));

        Assert.Equal(0.7m, within.Spent);
        Assert.Equal(now.AddHours(-2), within.WindowStart);
        Assert.Equal(now.AddHours(22), within.WindowEnd);
        Assert.Equal(now.AddDays(-10), within.CreatedAt);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, refused.Status);
        Assert.Equal(0m, after.Spent);
        Assert.Equal(clientTime.GetUtcNow(), after.WindowStart);
        Assert.Equal(now.AddDays(-10), after.CreatedAt);
        Assert.True(admitted.IsReserved);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("10")]
    [InlineData("0.5")]
    [InlineData("29.5")]
    [InlineData("\"fortnightly\"")]
    public async Task LiteLlmProtocol_RefusesADurationLiteLlmNeverWrites_AsTheServiceDoes(string duration)
    {
        HostedBudgetStore native = _service.CreateStore();
        await native.SetBudgetAsync(Project, Key, new BudgetDefinition(5m, BudgetPeriod.Daily));
        await native.ChargeAsync(Project, [Key], 1m, null, "c1");

        // A LiteLLM-style server that keeps user_dict as it was written, holding a duration LiteLLM never writes.
        var handler = new EditGetBudgetHandler(data => data["alice"]!["duration"] = JsonNode.Parse(duration));
        HostedBudgetStore compat = _service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm, configure: s => SendThrough(s, handler));
        var read = await Assert.ThrowsAsync<InvalidOperationException>(() => compat.GetBudgetAsync(Project, Key).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => compat.ChargeAsync(Project, [Key], 1m, null, "c2").AsTask());
        using var http = new HttpClient { BaseAddress = _service.BaseAddress };
        using HttpResponseMessage written = await http.PostAsync("set_budget", new StringContent(
            $$"""{ "project_name": "{{Project}}", "user_dict": { "alice": { "total_budget": 5, "duration": {{duration}} } } }""", Encoding.UTF8, "application/json"));

        Assert.Contains("'alice'", read.Message, StringComparison.Ordinal);
        Assert.Contains(duration, read.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, written.StatusCode);
        BudgetState kept = (await native.GetBudgetAsync(Project, Key))!;
        Assert.Equal(1m, kept.Spent);
        Assert.Equal(BudgetPeriod.Daily, kept.Definition.Period);
    }

    [Fact]
    public async Task LiteLlmProtocol_ReadsAndWritesTimesExactToTheTick()
    {
        DateTimeOffset start = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        var time = new FakeTimeProvider(start.AddHours(1));
        await using BudgetService service = await BudgetService.StartAsync(time);
        HostedBudgetStore native = service.CreateStore();
        HostedBudgetStore compat = service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        await native.SetBudgetAsync(Project, Key, new BudgetDefinition(1m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling), start);

        BudgetState seen = (await compat.GetBudgetAsync(Project, Key))!;
        await compat.ChargeAsync(Project, [Key], 0.25m, null, "c1");
        BudgetState afterTheCharge = (await native.GetBudgetAsync(Project, Key))!;

        Assert.Equal(start, seen.WindowStart);
        Assert.Equal(start, seen.CreatedAt);
        Assert.Equal(start.AddDays(1), seen.WindowEnd);
        Assert.Equal(start, afterTheCharge.WindowStart);
        Assert.Equal(0.25m, afterTheCharge.Spent);
    }

    [Fact]
    public async Task LiteLlmProtocol_SeesAnUnknownProjectAsEmpty_AndRefusesChargesToMissingBudgets()
    {
        HostedBudgetStore compat = _service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);

        Assert.Empty(await compat.ListBudgetsAsync("nobody-here"));
        Assert.Null(await compat.GetBudgetAsync("nobody-here", Key));
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, (await compat.ReserveAsync("nobody-here", [Key], 0.1m, "r1", DateTimeOffset.UtcNow.AddMinutes(1))).Status);
        var ex = await Assert.ThrowsAsync<BudgetNotFoundException>(() => compat.ChargeAsync("nobody-here", [Key], 0.1m, null, "c1").AsTask());
        Assert.Equal(Key, ex.Key);
    }

    [Theory]
    [InlineData("budgetchat")]
    [InlineData("budgetchat:odd")]
    public async Task LiteLlmProtocol_SeesTheBudgetAndSpend_OfAUserNamedLikeTheFileStoresOwnEntries(string user)
    {
        string key = BudgetKeys.UserPrefix + user;
        HostedBudgetStore atomic = _service.CreateStore();
        HostedBudgetStore compat = _service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        await atomic.SetBudgetAsync(Project, Key, new BudgetDefinition(9m));
        await atomic.SetBudgetAsync(Project, key, new BudgetDefinition(2m, BudgetPeriod.Daily));
        await atomic.ChargeAsync(Project, [key], 0.75m, "gpt-4o", "c1");
        var model = new FakeChatClient("gpt-4o", 1_000, 200);
        using IChatClient client = new ChatClientBuilder(model).UseBudget(compat, o => o.ProjectName = Project).Build();

        BudgetState? seen = await compat.GetBudgetAsync(Project, key);
        IReadOnlyList<BudgetState> listed = await compat.ListBudgetsAsync(Project);
        await client.GetResponseAsync("hello", new ChatOptions().WithBudgetUser(user));

        Assert.NotNull(seen);
        Assert.Equal(2m, seen.Limit);
        Assert.Equal(BudgetPeriod.Daily, seen.Definition.Period);
        Assert.Equal(0.75m, seen.Spent);
        Assert.Equal(0.75m, seen.SpendByModel["gpt-4o"]);
        Assert.Equal([Key, key], listed.Select(b => b.Key).Order(StringComparer.Ordinal));
        decimal cost = ModelPriceCatalog.CreateDefault().GetPrice("gpt-4o").GetCost(1_000, 200);
        BudgetState after = (await atomic.GetBudgetAsync(Project, key))!;
        Assert.Equal(0.75m + cost, after.Spent);
        Assert.Equal(2m, after.Limit);
        Assert.Equal([Key, key], (await atomic.ListBudgetsAsync(Project)).Select(b => b.Key).Order(StringComparer.Ordinal));
        Assert.Equal(9m, (await atomic.GetBudgetAsync(Project, Key))!.Limit);
    }

    [Theory]
    [InlineData("user:")]
    [InlineData("user: ")]
    public async Task LiteLlmProtocol_WritesTheBudgetOfABlankUser_UnderANameTheServiceAccepts(string key)
    {
        HostedBudgetStore atomic = _service.CreateStore();
        HostedBudgetStore compat = _service.CreateStore(protocol: HostedBudgetProtocol.LiteLlm);
        await atomic.SetBudgetAsync(Project, Key, new BudgetDefinition(9m));

        await compat.SetBudgetAsync(Project, key, new BudgetDefinition(2m));
        await compat.ChargeAsync(Project, [key], 0.5m, "gpt-4o", "c1");

        Assert.Equal(0.5m, (await atomic.GetBudgetAsync(Project, key))!.Spent);
        Assert.Equal(0.5m, (await compat.GetBudgetAsync(Project, key))!.Spent);
        Assert.Equal([key, Key], (await atomic.ListBudgetsAsync(Project)).Select(b => b.Key).Order(StringComparer.Ordinal));
    }

    private HostedBudgetStore CreateStoreSendingThrough(DelegatingHandler handler) => _service.CreateStore(configure: s => SendThrough(s, handler));

    // The handler sits below the resilience pipeline, next to the network: what it does, the retries see.
    private static void SendThrough(IServiceCollection services, DelegatingHandler handler) =>
        services.AddHttpClient(HostedBudgetStoreServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => handler);

    private static Task<ChatResponse> Call(IChatClient client, bool streaming, ChatOptions? options = null) =>
        streaming ? client.GetStreamingResponseAsync("hello", options).ToChatResponseAsync() : client.GetResponseAsync("hello", options);

    private static Uri ClosedPortAddress()
    {
        // A port that was free a moment ago and has nothing listening on it now.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>Lets the first request to a route reach the server, then loses its response, as a dropped connection would.</summary>
    private sealed class DropResponseHandler(string pathSuffix) : DelegatingHandler
    {
        private int _dropped;

        public int Dropped => Volatile.Read(ref _dropped);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith(pathSuffix, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _dropped, 1, 0) == 0)
            {
                response.Dispose();
                throw new HttpRequestException("The connection was reset before the response arrived (simulated).");
            }

            return response;
        }
    }

    /// <summary>Edits the data of every <c>/get_budget</c> answer, as a server holding other data would answer.</summary>
    private sealed class EditGetBudgetHandler(Action<JsonObject> edit) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (!request.RequestUri!.AbsolutePath.EndsWith("/get_budget", StringComparison.Ordinal))
            {
                return response;
            }

            JsonObject answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
            if (answer["data"] is JsonObject data)
            {
                edit(data);
            }

            response.Content.Dispose();
            response.Content = new StringContent(answer.ToJsonString(), Encoding.UTF8, "application/json");
            return response;
        }
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private readonly List<string> _paths = [];

        public int Count(string pathSuffix)
        {
            lock (_paths)
            {
                return _paths.Count(p => p.EndsWith(pathSuffix, StringComparison.Ordinal));
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_paths)
            {
                _paths.Add(request.RequestUri!.AbsolutePath);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
