using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BudgetChat.Http;
using BudgetChat.Http.Tests;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.LiteLlm.Tests;

/// <summary>
/// <see cref="LiteLlmServerBudgetStore"/> against a real server that speaks LiteLLM's <c>/get_budget</c> and
/// <c>/set_budget</c>: the budget service on 127.0.0.1, whose own API (through <see cref="HostedBudgetStore"/>) sees the
/// same budgets.
/// </summary>
public sealed class LiteLlmServerBudgetStoreTests : IAsyncLifetime
{
    private const string Project = "acme";
    private const string Key = "user:alice";

    private readonly List<IDisposable> _owned = [];
    private BudgetService _service = null!;

    public async Task InitializeAsync() => _service = await BudgetService.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }

        await _service.DisposeAsync();
    }

    [Fact]
    public async Task ReadsAndWritesThroughGetBudgetAndSetBudget()
    {
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);
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
    public async Task StartsANewWindow_OnceTheDurationHasPassed()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using BudgetService service = await BudgetService.StartAsync(time);
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(service);
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
    public async Task KeepsTheWindowStart_WhileCharging_SoTheSpendResetsOnceTheDurationHasPassed()
    {
        DateTimeOffset start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using BudgetService service = await BudgetService.StartAsync(time);
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(service);
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
    public async Task KeepsTheWindowStart_WhenTheLimitChanges()
    {
        DateTimeOffset start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using BudgetService service = await BudgetService.StartAsync(time);
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(service);
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
    public async Task CountsTheWindowFromLastUpdatedAt_WrittenByAnotherWriter()
    {
        DateTimeOffset now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var serviceTime = new FakeTimeProvider(now);
        var clientTime = new FakeTimeProvider(now);
        await using BudgetService service = await BudgetService.StartAsync(serviceTime);
        HostedBudgetStore native = service.CreateStore();
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(service, timeProvider: clientTime);

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
    public async Task RefusesADurationLiteLlmNeverWrites_AsTheServiceDoes(string duration)
    {
        HostedBudgetStore native = _service.CreateStore();
        await native.SetBudgetAsync(Project, Key, new BudgetDefinition(5m, BudgetPeriod.Daily));
        await native.ChargeAsync(Project, [Key], 1m, null, "c1");

        // A LiteLLM-style server that keeps user_dict as it was written, holding a duration LiteLLM never writes.
        var handler = new EditGetBudgetHandler(data => data["alice"]!["duration"] = JsonNode.Parse(duration));
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service, handler);
        var read = await Assert.ThrowsAsync<InvalidOperationException>(() => compat.GetBudgetAsync(Project, Key).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => compat.ChargeAsync(Project, [Key], 1m, null, "c2").AsTask());
        using var http = new HttpClient { BaseAddress = _service.BaseAddress };
        using HttpResponseMessage written = await http.PostAsync("set_budget", new StringContent(
            $$"""{ "project_name": "{{Project}}", "user_dict": { "alice": { "total_budget": 5, "duration": {{duration}} } } }""", Encoding.UTF8, "application/json"));

        Assert.Contains("'alice'", read.Message, StringComparison.Ordinal);
        Assert.Contains(duration, read.Message, StringComparison.Ordinal);
        Assert.Contains("1, 7, 28 to 31 (whole days), 365 or 366 days", read.Message, StringComparison.Ordinal); // every number it accepts
        Assert.Equal(HttpStatusCode.BadRequest, written.StatusCode);
        Assert.Contains("1, 7, 28 to 31 whole days, 365 or 366", await written.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        BudgetState kept = (await native.GetBudgetAsync(Project, Key))!;
        Assert.Equal(1m, kept.Spent);
        Assert.Equal(BudgetPeriod.Daily, kept.Definition.Period);
    }

    [Fact]
    public async Task ReadsAndWritesTimesExactToTheTick()
    {
        DateTimeOffset start = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        var time = new FakeTimeProvider(start.AddHours(1));
        await using BudgetService service = await BudgetService.StartAsync(time);
        HostedBudgetStore native = service.CreateStore();
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(service);
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
    public async Task SeesAnUnknownProjectAsEmpty_AndRefusesChargesToMissingBudgets()
    {
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);

        Assert.Empty(await compat.ListBudgetsAsync("nobody-here"));
        Assert.Null(await compat.GetBudgetAsync("nobody-here", Key));
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, (await compat.ReserveAsync("nobody-here", [Key], 0.1m, "r1", DateTimeOffset.UtcNow.AddMinutes(1))).Status);
        var ex = await Assert.ThrowsAsync<BudgetNotFoundException>(() => compat.ChargeAsync("nobody-here", [Key], 0.1m, null, "c1").AsTask());
        Assert.Equal(Key, ex.Key);
    }

    [Theory]
    [InlineData("budgetchat")]
    [InlineData("budgetchat:odd")]
    public async Task SeesTheBudgetAndSpend_OfAUserNamedLikeBudgetChatsEarlierEntries(string user)
    {
        string key = BudgetKeys.UserPrefix + user;
        HostedBudgetStore atomic = _service.CreateStore();
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);
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
    [InlineData("global")]
    [InlineData("team:search")]
    [InlineData("user:")]
    [InlineData("user: ")]
    public async Task RefusesABudgetThatIsNoNamedUser_WhichLiteLlmsDictHasNoPlaceFor(string key)
    {
        HostedBudgetStore atomic = _service.CreateStore();
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);
        await atomic.SetBudgetAsync(Project, Key, new BudgetDefinition(9m));

        await Assert.ThrowsAsync<ArgumentException>(() => compat.SetBudgetAsync(Project, key, new BudgetDefinition(2m)).AsTask());

        Assert.Equal([Key], (await atomic.ListBudgetsAsync(Project)).Select(b => b.Key));
    }

    [Fact]
    public async Task RefusesADefinitionOfSeveralLimits_OrOneThatObserves_WhichAnEntryHasNoPlaceFor()
    {
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);
        var twoLimits = new BudgetDefinition([BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), BudgetLimit.Dollars(1m, BudgetPeriod.Daily)]);
        BudgetDefinition observes = new BudgetDefinition(10m).WithEnforcement(BudgetEnforcement.Observe);

        var several = await Assert.ThrowsAsync<ArgumentException>(() => compat.SetBudgetAsync(Project, Key, twoLimits).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => compat.GetOrCreateBudgetAsync(Project, Key, observes).AsTask());

        Assert.Equal("definition", several.ParamName);
        Assert.Contains("monthly, daily", several.Message, StringComparison.Ordinal);
        Assert.Empty(await _service.CreateStore().ListBudgetsAsync(Project));
    }

    [Fact]
    public async Task AnObservingReservation_IsHeldPastTheLimit_AndSaysWhichBudgetWouldHaveRefused()
    {
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);
        await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(1m));

        BudgetReservationResult observed = await compat.ReserveAsync(Project, [Key], new BudgetUsage(1.5m) { Observe = true }, "r1", DateTimeOffset.UtcNow.AddMinutes(1));
        BudgetReservationResult refused = await compat.ReserveAsync(Project, [Key], 0.5m, "r2", DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.True(observed.IsReserved);
        Assert.True(observed.WouldHaveRefused);
        Assert.Equal(Key, observed.Key);
        Assert.Equal(1.5m, (await compat.GetBudgetAsync(Project, Key))!.Reserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, refused.Status);
    }

    [Theory]
    [InlineData(BudgetPeriod.Hourly, 60)]
    [InlineData(BudgetPeriod.Minutely, 1)]
    public async Task AnHourlyOrMinutelyBudget_IsWrittenAsAFractionOfADay_AndReadBackAsItsPeriod(BudgetPeriod period, int minutes)
    {
        HostedBudgetStore native = _service.CreateStore();
        LiteLlmServerBudgetStore compat = CreateLiteLlmStore(_service);

        BudgetState written = await compat.SetBudgetAsync(Project, Key, new BudgetDefinition(1m, period));
        BudgetState held = (await native.GetBudgetAsync(Project, Key))!;

        Assert.Equal(period, written.Definition.Period);
        Assert.Equal(written.WindowStart.AddMinutes(minutes), written.WindowEnd);
        Assert.Equal(new BudgetDefinition(1m, period, BudgetWindowAlignment.Rolling), held.Definition);
        Assert.Equal(written.WindowStart.AddMinutes(minutes), held.WindowEnd);
    }

    [Fact]
    public async Task BudgetManager_Hosted_KeepsBudgetsOnTheService()
    {
        using var manager = new BudgetManager(Project, BudgetClientType.Hosted, _service.BaseAddress);
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
    public void Constructor_RefusesAnAddressThatIsNotHttp()
    {
        using var http = new HttpClient();

        var ex = Assert.Throws<ArgumentException>(() => new LiteLlmServerBudgetStore(http, new Uri("ftp://example.com/")));

        Assert.Equal("baseAddress", ex.ParamName);
    }

    [Fact]
    public async Task UnreachableServer_IsBudgetStoreUnavailable()
    {
        using var http = new HttpClient();
        using var store = new LiteLlmServerBudgetStore(http, new Uri("http://127.0.0.1:1/"));

        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => store.GetBudgetAsync(Project, Key).AsTask());
    }

    private LiteLlmServerBudgetStore CreateLiteLlmStore(BudgetService service, DelegatingHandler? handler = null, TimeProvider? timeProvider = null)
    {
        HttpMessageHandler sender = new SocketsHttpHandler();
        if (handler is not null)
        {
            handler.InnerHandler = sender;
            sender = handler;
        }

        var http = new HttpClient(sender);
        var store = new LiteLlmServerBudgetStore(http, service.BaseAddress, timeProvider: timeProvider ?? service.TimeProvider);
        _owned.Add(store);
        _owned.Add(http);
        return store;
    }

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
}
