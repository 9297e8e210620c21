using System.Net.Http.Json;
using System.Text.Json;
using BudgetChat.Server.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BudgetChat.Http.Tests;

/// <summary>
/// <see cref="HostedBudgetStore"/> as an <see cref="IBudgetSpendLog"/>, against the real service on loopback serving an
/// <see cref="InMemoryBudgetStore"/> (which keeps a ledger whatever the SQLite store does): details sent with settles
/// and charges, appended refusals, queries and groups read back through the wire.
/// </summary>
public sealed class HostedBudgetSpendLogTests : IAsyncLifetime
{
    private const string Project = "acme";
    private const string AcmeKey = "acme-secret-key-0123456789";
    private const string GlobexKey = "globex-secret-key-9876543210";

    private static readonly DateTimeOffset Epoch = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Epoch);
    private readonly List<ServiceProvider> _clients = [];
    private BudgetServerHost _host = null!;
    private HostedBudgetStore _store = null!;

    public async Task InitializeAsync()
    {
        _host = await StartAsync(new InMemoryBudgetStore(timeProvider: _time));
        _store = CreateStore(_host, AcmeKey);
        await _store.SetBudgetAsync(Project, "global", new BudgetDefinition(100m));
        await _store.SetBudgetAsync(Project, "user:alice", new BudgetDefinition(10m));
        await _store.SetBudgetAsync(Project, "user:bob", new BudgetDefinition(10m));
    }

    public async Task DisposeAsync()
    {
        foreach (ServiceProvider provider in _clients)
        {
            await provider.DisposeAsync();
        }

        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Settle_WithARecord_IsReadBack_WithEveryField()
    {
        var details = new BudgetSpendRecord
        {
            User = "alice",
            RequestedModel = "gpt-4o",
            InputTokens = 1200,
            CachedInputTokens = 200,
            OutputTokens = 300,
            ReasoningTokens = 40,
            Outcome = BudgetSpendOutcome.Estimated,
            Marks = BudgetSpendMarks.Downgraded | BudgetSpendMarks.Reduced | BudgetSpendMarks.WouldRefuse,
            Reason = "the stream ended without usage",
            RefusedKey = "user:alice",
            RefusedWindow = "daily",
            MaxOutputTokens = 512,
            Duration = TimeSpan.FromTicks(12_345_678),
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        };
        Assert.True((await _store.ReserveAsync(Project, ["global", "user:alice"], new BudgetUsage(0.5m, 4000, "gpt-4o"), "r1", Epoch.AddMinutes(10))).IsReserved);
        _time.Advance(TimeSpan.FromSeconds(2));

        BudgetCompletion settled = await _store.SettleAsync(Project, "r1", new BudgetUsage(0.0125m, 1500, "gpt-4o-mini") { Record = details });
        BudgetSpendPage page = await _store.QuerySpendAsync(Project, new BudgetSpendQuery());

        Assert.Equal(BudgetCompletionStatus.Completed, settled.Status);
        BudgetSpendRecord record = Assert.Single(page.Records);
        Assert.Null(page.Next);
        BudgetSpendRecord expected = details with
        {
            Sequence = record.Sequence,
            Id = "r1",
            Time = Epoch.AddSeconds(2),
            Keys = record.Keys,
            Cost = 0.0125m,
            Tokens = 1500,
            Model = "gpt-4o-mini",
            Held = 0.5m,
        };
        Assert.Equal(expected, record);
        Assert.Equal(["global", "user:alice"], record.Keys);
        Assert.True(record.Sequence > 0);
    }

    [Fact]
    public async Task RetriedSettle_WithOtherDetails_LeavesOneRecord_OfTheFirst()
    {
        Assert.True((await _store.ReserveAsync(Project, ["global"], 0.5m, "r1", Epoch.AddMinutes(10))).IsReserved);
        BudgetUsage first = new(0.2m, 0, "gpt-4o") { Record = new BudgetSpendRecord { User = "alice" } };

        await _store.SettleAsync(Project, "r1", first);
        BudgetCompletion again = await _store.SettleAsync(Project, "r1", first with { Record = new BudgetSpendRecord { User = "mallory" } });

        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, again.Status);
        BudgetSpendRecord record = Assert.Single((await _store.QuerySpendAsync(Project, new BudgetSpendQuery())).Records);
        Assert.Equal("alice", record.User);
    }

    [Fact]
    public async Task Charge_AppendAndQuery_FilterByEveryField_AndPageThroughNext()
    {
        await SeedAsync();

        Assert.Equal(["c3", "c1"], await IdsAsync(new BudgetSpendQuery { User = "alice" }));
        Assert.Equal(["c2"], await IdsAsync(new BudgetSpendQuery { Key = "user:bob" }));
        Assert.Equal(["c3", "c2"], await IdsAsync(new BudgetSpendQuery { Model = "gpt-4o-mini" }));
        Assert.Equal(["x1"], await IdsAsync(new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Refused }));
        Assert.Equal(["c3"], await IdsAsync(new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Charged, Marks = BudgetSpendMarks.Downgraded | BudgetSpendMarks.Reduced }));
        Assert.Empty(await IdsAsync(new BudgetSpendQuery { Marks = BudgetSpendMarks.WouldRefuse }));
        Assert.Equal(["x1", "c2"], await IdsAsync(new BudgetSpendQuery { From = Epoch.AddMinutes(30), To = Epoch.AddDays(1) }));
        Assert.Equal(["c1", "c2", "x1", "c3"], await IdsAsync(new BudgetSpendQuery { OldestFirst = true }));

        var pages = new List<string>();
        var query = new BudgetSpendQuery { Limit = 1, Key = "global" };
        for (BudgetSpendPage page = await _store.QuerySpendAsync(Project, query); ; page = await _store.QuerySpendAsync(Project, query with { Before = page.Next }))
        {
            pages.AddRange(page.Records.Select(r => r.Id ?? "(none)"));
            if (page.Next is null)
            {
                break;
            }
        }

        Assert.Equal(["c3", "x1", "c2", "c1"], pages);
    }

    [Fact]
    public async Task GroupSpend_ByUser_OverSeveralUsers_AndByEveryGrouping()
    {
        await SeedAsync();

        IReadOnlyList<BudgetSpendGroup> users = await _store.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.User);
        IReadOnlyList<BudgetSpendGroup> all = await _store.GroupSpendAsync(Project, new BudgetSpendQuery { Limit = 1 }, BudgetSpendGrouping.None);
        IReadOnlyList<BudgetSpendGroup> days = await _store.GroupSpendAsync(Project, new BudgetSpendQuery { Key = "user:alice" }, BudgetSpendGrouping.Day);

        Assert.Equal(
            [
                new BudgetSpendGroup { Value = "alice", Calls = 2, Cost = 0.5m, Tokens = 100, InputTokens = 300 },
                new BudgetSpendGroup { Value = "bob", Calls = 1, Cost = 0.25m, OutputTokens = 20 },
                new BudgetSpendGroup { Value = "carol", Calls = 1, Refused = 1 },
            ],
            users);
        Assert.Equal([new BudgetSpendGroup { Calls = 4, Refused = 1, Cost = 0.75m, Tokens = 100, InputTokens = 300, OutputTokens = 20 }], all);
        Assert.Equal(["2026-03-10", "2026-03-11"], days.Select(d => d.Value));
        long c2 = (await _store.QuerySpendAsync(Project, new BudgetSpendQuery { User = "bob" })).Records[0].Sequence;
        IReadOnlyList<BudgetSpendGroup> afterC2 = await _store.GroupSpendAsync(Project, new BudgetSpendQuery { After = c2 }, BudgetSpendGrouping.None);
        Assert.Equal(0.3m, Assert.Single(afterC2).Cost);
        Assert.Equal(await _store.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.Model), await ((IBudgetSpendLog)_host.Store).GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.Model));
    }

    [Fact]
    public async Task TheVerifier_OverTheHostedStore_FindsEveryBudgetBalanced_AcrossAReset()
    {
        await SeedAsync();
        await _store.ResetBudgetAsync(Project, "user:alice");
        await _store.ChargeAsync(Project, ["global", "user:alice"], 0.05m, "c4");

        IReadOnlyList<BudgetSpendCheck> checks = await BudgetSpendVerifier.VerifyAsync(_store, _store, Project);

        Assert.Equal(["global", "user:alice", "user:bob", "user:carol"], checks.Select(c => c.Key));
        Assert.All(checks, c => Assert.True(c.IsBalanced, $"{c.Key}: spent {c.Spent}, recorded {c.Recorded}"));
        Assert.Equal(0.05m, checks[1].Recorded);
        Assert.Equal(0.8m, checks[0].Recorded);
    }

    [Fact]
    public async Task AppendedRefusal_IsVisible_OverTheRawRoute_AsCsvToo()
    {
        await _store.AppendSpendAsync(Project, new BudgetSpendRecord { Keys = ["user:alice"], Outcome = BudgetSpendOutcome.Refused, User = "=cmd|' /C calc'!A0", Id = "x1" });

        using HttpClient http = _host.CreateClient(AcmeKey);
        string csv = await http.GetStringAsync(new Uri("v1/projects/acme/spend?format=csv", UriKind.Relative));
        JsonElement page = await http.GetFromJsonAsync<JsonElement>(new Uri("v1/projects/acme/spend", UriKind.Relative));

        Assert.Contains(",'=cmd|' /C calc'!A0,", csv, StringComparison.Ordinal);
        Assert.Equal("=cmd|' /C calc'!A0", page.GetProperty("records")[0].GetProperty("user").GetString());
    }

    [Fact]
    public async Task Append_OfAChargedRecord_IsRefusedBeforeSending()
    {
        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await _store.AppendSpendAsync(Project, new BudgetSpendRecord { Keys = ["global"], Outcome = BudgetSpendOutcome.Charged, Cost = 1m }));

        Assert.Equal("record", ex.ParamName);
        Assert.Empty((await _store.QuerySpendAsync(Project, new BudgetSpendQuery())).Records);
    }

    [Fact]
    public async Task AWrongKey_IsUnauthorizedAccess_ForReadsAndAppends()
    {
        HostedBudgetStore wrong = CreateStore(_host, "not-a-configured-key-000111");
        HostedBudgetStore otherProject = CreateStore(_host, GlobexKey);
        var refusal = new BudgetSpendRecord { Keys = ["global"], Outcome = BudgetSpendOutcome.Refused };

        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await wrong.QuerySpendAsync(Project, new BudgetSpendQuery()));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await wrong.AppendSpendAsync(Project, refusal));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await otherProject.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.User));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await otherProject.AppendSpendAsync(Project, refusal));
        Assert.Empty((await _store.QuerySpendAsync(Project, new BudgetSpendQuery())).Records);
    }

    [Fact]
    public async Task AServiceWithoutALedger_IsNotSupported_NotRetried_AndLeavesTheCircuitClosed()
    {
        IBudgetStore noLedger = Substitute.For<IBudgetStore>();
        await using BudgetServerHost host = await StartAsync(noLedger);
        var counter = new CountingHandler();
        HostedBudgetStore store = CreateStore(host, AcmeKey, services =>
        {
            services.Configure<HostedBudgetStoreOptions>(o =>
            {
                o.CircuitMinimumThroughput = 2;
                o.CircuitFailureRatio = 0.1;
            });
            services.AddHttpClient(HostedBudgetStoreServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => counter);
        });

        for (int i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<NotSupportedException>(async () => await store.QuerySpendAsync(Project, new BudgetSpendQuery()));
            await Assert.ThrowsAsync<NotSupportedException>(async () => await store.AppendSpendAsync(Project, new BudgetSpendRecord { Keys = ["global"], Outcome = BudgetSpendOutcome.Released }));
        }

        Assert.Equal(10, counter.Sent);
        Assert.Null(await store.GetBudgetAsync(Project, "global")); // the circuit is closed: the budget operations still reach the service
    }

    [Fact]
    public async Task Prune_IsTheServicesBusiness_AndTheAppsRetentionIsCleared()
    {
        var services = new ServiceCollection();
        services.AddHostedBudgetStore(o => o.BaseAddress = _host.BaseAddress);
        await using ServiceProvider provider = services.BuildServiceProvider();

        NotSupportedException ex = await Assert.ThrowsAsync<NotSupportedException>(async () => await _store.PruneSpendAsync(Epoch));

        Assert.Contains("SpendRetention", ex.Message, StringComparison.Ordinal);
        BudgetResetServiceOptions reset = provider.GetRequiredService<IOptions<BudgetResetServiceOptions>>().Value;
        Assert.False(reset.Enabled);
        Assert.Null(reset.SpendRetention);
    }

    // alice $0.20 (gpt-4o, 100 tokens, 100 input) at 12:00; bob $0.25 (gpt-4o-mini, 20 output) at 12:40; a refusal of
    // carol at 13:00; alice $0.30 (gpt-4o-mini, downgraded and reduced, 200 input) the next day. Ids in time order: c1, c2, x1, c3.
    private async Task SeedAsync()
    {
        await _store.SetBudgetAsync(Project, "user:carol", new BudgetDefinition(10m));
        await _store.ChargeAsync(Project, ["global", "user:alice"], new BudgetUsage(0.2m, 100, "gpt-4o") { Record = new BudgetSpendRecord { User = "alice", InputTokens = 100 } }, "c1");
        _time.Advance(TimeSpan.FromMinutes(40));
        await _store.ChargeAsync(Project, ["global", "user:bob"], new BudgetUsage(0.25m, 0, "gpt-4o-mini") { Record = new BudgetSpendRecord { User = "bob", OutputTokens = 20 } }, "c2");
        _time.Advance(TimeSpan.FromMinutes(20));
        await _store.AppendSpendAsync(Project, new BudgetSpendRecord { Keys = ["global", "user:carol"], Outcome = BudgetSpendOutcome.Refused, Id = "x1", User = "carol", Model = "gpt-4o" });
        _time.Advance(TimeSpan.FromDays(1));
        await _store.ChargeAsync(Project, ["global", "user:alice"], new BudgetUsage(0.3m, 0, "gpt-4o-mini")
        {
            Record = new BudgetSpendRecord { User = "alice", RequestedModel = "gpt-4o", Marks = BudgetSpendMarks.Downgraded | BudgetSpendMarks.Reduced, InputTokens = 200 },
        }, "c3");
    }

    private async Task<string[]> IdsAsync(BudgetSpendQuery query) =>
        [.. (await _store.QuerySpendAsync(Project, query)).Records.Select(r => r.Id ?? "(none)")];

    private async Task<BudgetServerHost> StartAsync(IBudgetStore store)
    {
        var options = new BudgetServerHostOptions { Store = store, TimeProvider = _time };
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        options.Configuration["BudgetServer:MaxReservationDuration"] = "30.00:00:00";
        options.ApiKeys.Add((Project, AcmeKey));
        options.ApiKeys.Add(("globex", GlobexKey));
        return await BudgetServerHost.StartAsync(options);
    }

    private HostedBudgetStore CreateStore(BudgetServerHost host, string apiKey, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddHostedBudgetStore(o =>
        {
            o.BaseAddress = host.BaseAddress;
            o.ApiKey = apiKey;
        });
        configure?.Invoke(services);
        ServiceProvider provider = services.BuildServiceProvider();
        _clients.Add(provider);
        return (HostedBudgetStore)provider.GetRequiredService<IBudgetStore>();
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private int _sent;

        public int Sent => Volatile.Read(ref _sent);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sent);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
