using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>
/// Calls that outlive <see cref="BudgetingChatClientOptions.ReservationTimeout"/> (10 minutes by default) keep their hold,
/// and a stream its consumer abandons without disposing it is charged what was held instead of nothing.
/// </summary>
public sealed class LeaseRenewalTests : BudgetingChatClientFixture
{
    // MaxOutputTokens 100 at $0.002 and 10 input tokens at $0.001: $0.21 held per call.
    private const decimal Held = WorstCase;

    [Fact]
    public async Task ACallThatOutlivesTheTimeout_KeepsItsHold_SoNoOtherCallIsAdmittedIntoItsMoney()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Held));
        var answer = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        Inner.GetResponseAsyncCallback = (_, _, _) => answer.Task;
        using var client = CreateClient();

        Task<ChatResponse> slow = client.GetResponseAsync("hello", ForUser("alice"));
        await AdvanceAsync(TimeSpan.FromMinutes(25));

        Assert.Equal(Held, (await UserBudgetAsync("alice")).Reserved);
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello", ForUser("alice")));

        answer.SetResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "done")) { Usage = Usage(10, 20), ModelId = Model });
        await slow;
        Assert.Equal(Cost(10, 20), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task AStreamWhoseProviderIsSlow_KeepsItsHold_WhileItWaitsForTheNextUpdate()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Held));
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Inner.GetStreamingResponseAsyncCallback = (_, _, ct) => SlowStream(rest.Task, ct);
        using var client = CreateClient();
        await using IAsyncEnumerator<ChatResponseUpdate> stream = client.GetStreamingResponseAsync("hello", ForUser("alice")).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());

        ValueTask<bool> next = stream.MoveNextAsync(); // waits for the provider
        await AdvanceAsync(TimeSpan.FromMinutes(25));

        Assert.Equal(Held, (await UserBudgetAsync("alice")).Reserved);
        rest.SetResult();
        Assert.True(await next);
        Assert.False(await stream.MoveNextAsync());
        Assert.Equal(Cost(10, 30), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task AStreamNeitherReadNorDisposed_ForATimeout_IsChargedWhatWasHeld_AndItsLateEndChargesNothingMore()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("abcdefghijkl", Usage(10, 50));
        using var client = CreateClient();
        IAsyncEnumerator<ChatResponseUpdate> stream = client.GetStreamingResponseAsync("hello", ForUser("alice")).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync()); // content arrived; the consumer then walks away

        await AdvanceAsync(TimeSpan.FromMinutes(9));
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent); // a slow reader is not abandoned yet
        await AdvanceAsync(TimeSpan.FromMinutes(5));

        BudgetState charged = await UserBudgetAsync("alice");
        Assert.Equal(Held, charged.Spent);
        Assert.Equal(0m, charged.Reserved);

        await stream.DisposeAsync(); // much later: the stream's own end changes nothing
        Assert.Equal(Held, (await UserBudgetAsync("alice")).Spent);
    }

    [Fact]
    public async Task AReaderThatKeepsReading_SlowlyButWithinTheTimeout_IsNeverTakenAsAbandoned()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("abcdefghijklmnopqrstuvwx", Usage(10, 50));
        using var client = CreateClient();
        await using IAsyncEnumerator<ChatResponseUpdate> stream = client.GetStreamingResponseAsync("hello", ForUser("alice")).GetAsyncEnumerator();

        while (await stream.MoveNextAsync())
        {
            await AdvanceAsync(TimeSpan.FromMinutes(6)); // six updates, 36 minutes in all
        }

        Assert.Equal(Cost(10, 50), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task ALeaseRenewed_ByHand_KeepsItsHold_AndAnEndedOneReportsEnded()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(1m));
        await using BudgetLease lease = await BudgetLease.AcquireAsync(Store, "default", [BudgetKeys.ForUser("alice")], 0.5m, TimeSpan.FromMinutes(1), Time);

        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(BudgetRenewalStatus.Renewed, await lease.RenewAsync(TimeSpan.FromMinutes(1), Time));
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(0.5m, (await UserBudgetAsync("alice")).Reserved);

        await lease.SettleAsync(0.1m);
        Assert.Equal(BudgetRenewalStatus.Ended, await lease.RenewAsync(TimeSpan.FromMinutes(1), Time));
    }

    // Time moves a minute at a time, as it does for a real call, so every renewal falls due on its tick.
    private async Task AdvanceAsync(TimeSpan by)
    {
        for (TimeSpan moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMinutes(1))
        {
            Time.Advance(TimeSpan.FromMinutes(1));
            await Task.Yield();
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> SlowStream(Task rest, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new ChatResponseUpdate(ChatRole.Assistant, "first") { ModelId = Model };
        await rest.WaitAsync(cancellationToken);
        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [new UsageContent(Usage(10, 30))], ModelId = Model };
    }
}
