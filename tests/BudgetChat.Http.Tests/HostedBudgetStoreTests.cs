using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BudgetChat.Http;
using BudgetChat.Server.Tests;
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

    // The service has made the reservation, but its answer is still on its way when the caller gives up.
    [Fact]
    public async Task AReserveCancelledInFlight_AfterTheServiceHeldTheMoney_IsReleasedAfterwards()
    {
        var stall = new StallResponseHandler("/reservations");
        HostedBudgetStore store = CreateStoreSendingThrough(stall);
        await store.SetBudgetAsync(Project, Key, new BudgetDefinition(1m));
        using var cts = new CancellationTokenSource();

        Task reserve = store.ReserveAsync(Project, [Key], 0.4m, "r1", DateTimeOffset.UtcNow.AddMinutes(5), cts.Token).AsTask();
        await stall.Answered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0.4m, (await store.GetBudgetAsync(Project, Key))!.Reserved);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reserve);
        decimal reserved = 0.4m;
        for (int i = 0; i < 100 && reserved != 0m; i++)
        {
            await Task.Delay(50);
            reserved = (await store.GetBudgetAsync(Project, Key))!.Reserved;
        }

        Assert.Equal(0m, reserved);
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
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await after.SettleAsync(Project, "r7", 0.008m, "gpt-4o")).Status);
        Assert.Equal(BudgetConflict.Settled, (await after.SettleAsync(Project, "r7", 5m, "gpt-4o")).Conflict);
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
    public async Task AnEnforceKey_ChangingABudget_IsRefused_WithTheServicesReason()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add((Project, "acme-enforce-0123456789"));
        options.Configuration["BudgetServer:ApiKeys:0:Role"] = "enforce";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        using ServiceProvider provider = new ServiceCollection()
            .AddHostedBudgetStore(o =>
            {
                o.BaseAddress = host.BaseAddress;
                o.ApiKey = "acme-enforce-0123456789";
            })
            .BuildServiceProvider();
        var store = (HostedBudgetStore)provider.GetRequiredService<IBudgetStore>();

        var forbidden = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => store.SetBudgetAsync(Project, Key, new BudgetDefinition(1m)).AsTask());

        Assert.Contains("403", forbidden.Message, StringComparison.Ordinal);
        Assert.Contains("role 'enforce'", forbidden.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("acme-enforce", forbidden.Message, StringComparison.Ordinal);
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

    // Lets the request reach the service, then holds its answer until the caller's token cancels.
    private sealed class StallResponseHandler(string pathSuffix) : DelegatingHandler
    {
        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (!request.RequestUri!.AbsolutePath.EndsWith(pathSuffix, StringComparison.Ordinal))
            {
                return response;
            }

            response.Dispose();
            Answered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new UnreachableException();
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
