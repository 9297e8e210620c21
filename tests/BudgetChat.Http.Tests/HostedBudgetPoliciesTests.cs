using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Http.Tests;

/// <summary>Budget policies over the wire: what the hosted store sends and reads back must be what the caller gave and the service holds.</summary>
public sealed class HostedBudgetPoliciesTests : IAsyncLifetime
{
    private const string Project = "acme";
    private const string Key = "user:alice";

    // A main limit with a name of its own, a daily dollar limit, a per-model cap, token and request limits; observe only.
    private static readonly BudgetDefinition Policies = new(
        [
            new BudgetLimit(50m, BudgetPeriod.Monthly, name: "team monthly"),
            BudgetLimit.Dollars(5m, BudgetPeriod.Daily),
            BudgetLimit.Dollars(2.5m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling).ForModels(["gpt-4o", "claude-opus-*"], "premium"),
            BudgetLimit.Tokens(100_000, BudgetPeriod.Minutely),
            BudgetLimit.Requests(60, BudgetPeriod.Hourly),
        ],
        [0.8m, 1m],
        BudgetEnforcement.Observe);

    private BudgetService _service = null!;

    public async Task InitializeAsync() => _service = await BudgetService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task AMultiLimitDefinition_WithAModelCap_AndObserve_RoundTripsExactly()
    {
        HostedBudgetStore store = _service.CreateStore();

        BudgetState set = await store.SetBudgetAsync(Project, Key, Policies);
        BudgetState got = (await store.GetBudgetAsync(Project, Key))!;
        BudgetState listed = Assert.Single(await store.ListBudgetsAsync(Project));
        BudgetState existing = await store.GetOrCreateBudgetAsync(Project, Key, new BudgetDefinition(1m));

        Assert.All([set, got, listed, existing], budget =>
        {
            Assert.Equal(Policies, budget.Definition);
            Assert.Equal(BudgetEnforcement.Observe, budget.Definition.Enforcement);
            Assert.Equal(["gpt-4o", "claude-opus-*"], budget.Definition.Limits[2].Models);
            Assert.Equal(Policies.Limits.Select(l => l.Name), budget.Windows.Select(w => w.Name));
            Assert.All(budget.Windows, (w, i) => Assert.Same(budget.Definition.Limits[i], w.Limit));
        });

        // Each window as the service's own store has it.
        BudgetState held = (await _service.Store.GetBudgetAsync(Project, Key))!;
        Assert.Equal(
            held.Windows.Select(w => (w.Name, w.Start, w.End, w.Spent, w.Reserved, w.RunsOutAt)),
            got.Windows.Select(w => (w.Name, w.Start, w.End, w.Spent, w.Reserved, w.RunsOutAt)));
    }

    [Fact]
    public async Task TokensAndModel_ReachEveryWindow_AndSettleAndChargeCountTheirTokens()
    {
        HostedBudgetStore store = _service.CreateStore();
        await store.SetBudgetAsync(Project, Key, Policies.WithEnforcement(BudgetEnforcement.Enforce));

        Assert.True((await store.ReserveAsync(Project, [Key], new BudgetUsage(1m, 40_000, "gpt-4o-2024-08-06"), "r1", DateTimeOffset.UtcNow.AddMinutes(5))).IsReserved);
        BudgetState held = (await store.GetBudgetAsync(Project, Key))!;
        Assert.Equal([1m, 1m, 1m, 40_000m, 0m], held.Windows.Select(w => w.Reserved));
        Assert.Equal(1m, held.Windows[4].Spent); // a request counts when it is admitted

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", new BudgetUsage(0.4m, 12_345))).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, [Key], new BudgetUsage(0.1m, 55, "claude-opus-4-1"), "c1")).Status);

        BudgetState spent = (await store.GetBudgetAsync(Project, Key))!;
        Assert.Equal([0.5m, 0.5m, 0.5m, 12_400m, 2m], spent.Windows.Select(w => w.Spent));
        Assert.All(spent.Windows, w => Assert.Equal(0m, w.Reserved));
    }

    [Fact]
    public async Task ATokenReservation_RefusedByATokenWindow_ComesBackNamingThatWindow()
    {
        HostedBudgetStore store = _service.CreateStore();
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition([BudgetLimit.Dollars(100m), BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely)]));
        Assert.True((await store.ReserveAsync(Project, [Key], new BudgetUsage(0.01m, 600), "r1", DateTimeOffset.UtcNow.AddMinutes(5))).IsReserved);

        BudgetReservationResult refused = await store.ReserveAsync(Project, [Key], new BudgetUsage(0.01m, 600), "r2", DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal(BudgetReservationStatus.InsufficientBudget, refused.Status);
        Assert.False(refused.WouldHaveRefused);
        Assert.Equal(Key, refused.Key);
        Assert.Equal("per-minute tokens", refused.Window!.Name);
        Assert.Equal(BudgetUnit.Tokens, refused.Window.Unit);
        Assert.Equal(600m, refused.Window.Reserved);
        Assert.Equal(400m, refused.Window.Remaining);
        Assert.Same(refused.Budget!.Windows[1], refused.Window);
        Assert.Equal(99.99m, refused.Budget.Remaining); // the dollars would have fitted
    }

    [Fact]
    public async Task AnObserveReservation_ComesBackReserved_AndWouldHaveRefused()
    {
        HostedBudgetStore store = _service.CreateStore();
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition([BudgetLimit.Dollars(10m), BudgetLimit.Dollars(1m, BudgetPeriod.Daily)]));

        BudgetReservationResult fits = await store.ReserveAsync(Project, [Key], new BudgetUsage(0.5m) { Observe = true }, "r1", DateTimeOffset.UtcNow.AddMinutes(5));
        BudgetReservationResult observed = await store.ReserveAsync(Project, [Key], new BudgetUsage(2m) { Observe = true }, "r2", DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.True(fits.IsReserved);
        Assert.False(fits.WouldHaveRefused);
        Assert.True(observed.IsReserved);
        Assert.True(observed.WouldHaveRefused);
        Assert.Equal(Key, observed.Key);
        Assert.Equal("daily", observed.Window!.Name);
        Assert.Same(observed.Budget!.Windows[1], observed.Window);
        Assert.Equal(2.5m, (await store.GetBudgetAsync(Project, Key))!.Windows[1].Reserved);
    }

    [Fact]
    public async Task ACachedDefinition_KeepsItsLimitsAndWindows()
    {
        HostedBudgetStore store = _service.CreateStore(configure: s => s.AddHybridCache(), cacheFor: TimeSpan.FromMinutes(1));

        BudgetState first = await store.GetOrCreateBudgetAsync(Project, Key, Policies);
        BudgetState cached = await store.GetOrCreateBudgetAsync(Project, Key, Policies);

        Assert.Equal(Policies, cached.Definition);
        Assert.Equal(first.Windows.Select(w => (w.Name, w.Start, w.End)), cached.Windows.Select(w => (w.Name, w.Start, w.End)));
    }

    [Fact]
    public async Task WhatACallerLeavesAtItsDefault_IsNotSent_SoASingleLimitClientSpeaksTheFirstVersionOfTheContract()
    {
        var recorder = new BodyRecorder();
        HostedBudgetStore store = _service.CreateStore(configure: s =>
            s.AddHttpClient(HostedBudgetStoreServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => recorder));

        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.ReserveAsync(Project, [Key], 0.5m, "r1", DateTimeOffset.UtcNow.AddMinutes(5));
        await store.SettleAsync(Project, "r1", 0.25m, "gpt-4o");
        await store.ChargeAsync(Project, [Key], 0.1m, null, "c1");

        Assert.Equal(["limit", "period", "alignment", "alertThresholds"], recorder.Members("/budget", "definition"));
        Assert.Equal(["reservationId", "keys", "amount", "expiresAt"], recorder.Members("/reservations"));
        Assert.Equal(["reservationId", "actualCost", "model"], recorder.Members("/settle"));
        Assert.Equal(["chargeId", "keys", "amount", "model"], recorder.Members("/charges"));
    }

    /// <summary>Keeps the JSON body of every request.</summary>
    private sealed class BodyRecorder : DelegatingHandler
    {
        private readonly List<(string Path, string Body)> _bodies = [];

        /// <summary>The member names of the last body sent to a path ending so, or of one of its objects.</summary>
        public string[] Members(string pathSuffix, string? member = null)
        {
            string body;
            lock (_bodies)
            {
                body = _bodies.Last(b => b.Path.EndsWith(pathSuffix, StringComparison.Ordinal)).Body;
            }

            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement element = member is null ? document.RootElement : document.RootElement.GetProperty(member);
            return [.. element.EnumerateObject().Select(p => p.Name)];
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
            {
                string body = await request.Content.ReadAsStringAsync(cancellationToken);
                lock (_bodies)
                {
                    _bodies.Add((request.RequestUri!.AbsolutePath, body));
                }
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
