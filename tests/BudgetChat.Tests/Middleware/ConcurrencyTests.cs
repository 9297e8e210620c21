using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>The case that breaks check-then-charge: many calls at once against a budget that fits a few.</summary>
public sealed class ConcurrencyTests : BudgetingChatClientFixture
{
    private const int Calls = 64;
    private const int Fits = 10;

    public static TheoryData<bool> Streaming => new() { false, true };

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task ParallelCalls_AdmitExactlyWhatFits_AndChargeExactlyTheirUsage(bool streaming)
    {
        // Budget = exactly 10 worst cases; with nothing left after 10 holds, no call can be reduced to fit either.
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Fits * WorstCase));
        var outcome = new Outcome();
        HoldAdmittedCallsUntilAllAreDecided(outcome);
        using var client = CreateClient();

        Task[] calls = Enumerable.Range(0, Calls).Select(_ => Task.Run(async () =>
        {
            try
            {
                await CallAsync(client, streaming, ForUser("alice"));
            }
            catch (BudgetExceededException)
            {
                outcome.Refused();
            }
        })).ToArray();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Fits, outcome.Admitted);
        Assert.Equal(Calls - Fits, outcome.RefusedCount);
        BudgetState budget = await UserBudgetAsync("alice");
        Assert.True(outcome.MaxHeld <= budget.Limit, $"Held {outcome.MaxHeld} at once on a limit of {budget.Limit}.");
        Assert.True(budget.Spent <= budget.Limit);
        Assert.Equal(outcome.UsageCost, budget.Spent);
        Assert.Equal(0m, budget.Reserved);
    }

    [Fact]
    public async Task CheckThenCharge_ReproducesTheSeed_AdmittingEveryConcurrentCall()
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(Fits * WorstCase));
        var outcome = new Outcome();
        HoldAdmittedCallsUntilAllAreDecided(outcome);
        using var client = CreateClient(o => o.Mode = BudgetEnforcementMode.CheckThenCharge);

        await Task.WhenAll(Enumerable.Range(0, Calls).Select(_ => Task.Run(() => CallAsync(client, streaming: false, ForUser("alice"))))).WaitAsync(TimeSpan.FromSeconds(60));

        // Every call passed the check before any was charged: this is the overspend reservations prevent.
        Assert.Equal(Calls, outcome.Admitted);
        Assert.Equal(outcome.UsageCost, (await UserBudgetAsync("alice")).Spent);
    }

    // Admitted calls wait inside the model until every call has been admitted or refused, so no settlement can
    // free budget for a later call: what is admitted is decided by reservations alone.
    private void HoldAdmittedCallsUntilAllAreDecided(Outcome outcome)
    {
        async Task<UsageDetails> Admit()
        {
            int n = outcome.Admit(Store.GetBudgetAsync("default", BudgetKeys.ForUser("alice")).AsTask().Result!.Reserved);
            await outcome.AllDecided.WaitAsync(TimeSpan.FromSeconds(30));

            // Real usage varies per call and is below the worst case.
            UsageDetails usage = Usage(input: 8 + (n % 3), output: 20 + (n * 7 % 50));
            outcome.AddUsageCost(Cost(usage.InputTokenCount!.Value, usage.OutputTokenCount!.Value));
            return usage;
        }

        Inner.GetResponseAsyncCallback = async (_, _, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = await Admit(), ModelId = Model };
        Inner.GetStreamingResponseAsyncCallback = (_, _, ct) => StreamAfter(Admit(), ct);

        async IAsyncEnumerable<ChatResponseUpdate> StreamAfter(Task<UsageDetails> admitted, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            UsageDetails usage = await admitted;
            await foreach (ChatResponseUpdate update in StreamAsync("ok", usage, Model, ct))
            {
                yield return update;
            }
        }
    }

    private sealed class Outcome
    {
        private readonly TaskCompletionSource _allDecided = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private int _admitted;
        private int _refused;
        private decimal _usageCost;
        private decimal _maxHeld;

        public Task AllDecided => _allDecided.Task;

        public int Admitted => Volatile.Read(ref _admitted);

        public int RefusedCount => Volatile.Read(ref _refused);

        public decimal UsageCost
        {
            get
            {
                lock (_gate)
                {
                    return _usageCost;
                }
            }
        }

        public decimal MaxHeld
        {
            get
            {
                lock (_gate)
                {
                    return _maxHeld;
                }
            }
        }

        public int Admit(decimal heldNow)
        {
            lock (_gate)
            {
                _maxHeld = Math.Max(_maxHeld, heldNow);
            }

            int n = Interlocked.Increment(ref _admitted);
            Decided();
            return n;
        }

        public void Refused()
        {
            Interlocked.Increment(ref _refused);
            Decided();
        }

        public void AddUsageCost(decimal cost)
        {
            lock (_gate)
            {
                _usageCost += cost;
            }
        }

        private void Decided()
        {
            if (Volatile.Read(ref _admitted) + Volatile.Read(ref _refused) == Calls)
            {
                _allDecided.TrySetResult();
            }
        }
    }
}
