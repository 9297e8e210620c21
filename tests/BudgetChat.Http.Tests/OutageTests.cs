using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Http.Tests;

/// <summary>
/// The budget service goes down for longer than the client's whole timeout while calls are answered: once it is back,
/// every incurred cost is charged exactly once (issue 14, point 1 and its outage test). Real Kestrel, real SQLite.
/// </summary>
public sealed class OutageTests : IAsyncLifetime
{
    private const string Project = "default";
    private const int CallsInFlight = 12;
    private const int CallsDuringOutage = 8;

    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(1.5);

    private BudgetService _service = null!;

    public async Task InitializeAsync() => _service = await BudgetService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnOutageLongerThanTheClientsTimeout_LosesNoCost_AndChargesNoneTwice(bool streaming)
    {
        HostedBudgetStore store = _service.CreateStore(configure: services => services.Configure<HostedBudgetStoreOptions>(o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(0.5);
            o.TotalTimeout = ClientTimeout;
            o.CircuitBreakDuration = TimeSpan.FromSeconds(0.5);
        }));
        await store.SetBudgetAsync(Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(100m));
        await using var outbox = new BudgetOutbox(store, new BudgetOutboxOptions { RetryDelay = TimeSpan.FromMilliseconds(200), MaxRetryDelay = TimeSpan.FromSeconds(1) });

        var thinking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowModel = new FakeChatClient("gpt-4o", 1_000, 200) { Thinking = () => thinking.Task };
        var openModel = new FakeChatClient("gpt-4o", 500, 100);
        using var client = new BudgetingChatClient(slowModel, store, outbox: outbox);
        using var failOpen = new BudgetingChatClient(openModel, store, new BudgetingChatClientOptions { StoreFailureMode = BudgetStoreFailureMode.FailOpen }, outbox: outbox);
        ModelPrice price = ModelPriceCatalog.CreateDefault().GetPrice("gpt-4o");
        decimal expected = (CallsInFlight * price.GetCost(1_000, 200)) + (CallsDuringOutage * price.GetCost(500, 100));

        // Calls are admitted (their reservations held by the service) and are still waiting for the model ...
        Task<ChatResponse>[] inFlight = [.. Enumerable.Range(0, CallsInFlight).Select(_ => Call(client, streaming))];
        while (slowModel.Calls < CallsInFlight)
        {
            await Task.Delay(10);
        }

        // ... when the service goes down; the model answers, and every settle fails after the client's timeout.
        await _service.GoDownAsync();
        thinking.SetResult();
        Assert.All(await Task.WhenAll(inFlight), r => Assert.Equal("ok", r.Text));

        // More calls during the outage, admitted unbudgeted (fail open): their charges fail too.
        for (int i = 0; i < CallsDuringOutage; i++)
        {
            Assert.Equal("ok", (await Call(failOpen, streaming)).Text);
        }

        await Task.Delay(ClientTimeout); // down for well over the client's timeout in all
        IReadOnlyList<BudgetOutboxEntry> queued = outbox.GetEntries();
        Assert.Equal(CallsInFlight + CallsDuringOutage, queued.Count);

        await _service.ComeBackAsync();
        for (int i = 0; i < 300 && outbox.Count > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, outbox.Count);
        BudgetState alice = (await store.GetBudgetAsync(Project, BudgetKeys.ForUser("alice")))!;
        Assert.Equal(expected, alice.Spent);
        Assert.Equal(0m, alice.Reserved);

        // Sending them all again (a retry whose answer was lost, a restart that reloads a stale file) charges nothing more.
        await using var again = new BudgetOutbox(store);
        foreach (BudgetOutboxEntry entry in queued)
        {
            Assert.True(await again.AddAsync(entry));
        }

        Assert.Equal(0, await again.RetryAsync());
        Assert.Equal(expected, (await store.GetBudgetAsync(Project, BudgetKeys.ForUser("alice")))!.Spent);
    }

    private static Task<ChatResponse> Call(IChatClient client, bool streaming)
    {
        ChatOptions options = new ChatOptions { MaxOutputTokens = 500 }.WithBudgetUser("alice");
        return streaming
            ? client.GetStreamingResponseAsync("What is a budget?", options).ToChatResponseAsync()
            : client.GetResponseAsync("What is a budget?", options);
    }
}
