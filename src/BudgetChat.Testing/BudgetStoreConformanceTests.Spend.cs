using BudgetChat.Stores;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Testing;

/// <summary>
/// The spend ledger (<see cref="IBudgetSpendLog"/>): the records a store writes with its charges and resets, appended
/// refusals and releases, queries, groups and pruning.
/// </summary>
/// <remarks>
/// These tests run for every store unless the derived class overrides <see cref="KeepsSpendLedger"/> to return
/// <see langword="false"/>: a store that keeps a ledger must implement <see cref="IBudgetSpendLog"/> (the tests fail,
/// naming the store, when it does not), and one that keeps none opts out, its spend tests then checking nothing.
/// </remarks>
public abstract partial class BudgetStoreConformanceTests
{
    /// <summary>
    /// Gets a value indicating whether the store keeps a spend ledger, so that the spend tests run against it (it must then
    /// implement <see cref="IBudgetSpendLog"/>). Defaults to <see langword="true"/>; override to return
    /// <see langword="false"/> for a store that keeps none, whose spend tests then pass without checking anything.
    /// </summary>
    protected virtual bool KeepsSpendLedger => true;

    /// <summary>
    /// Gets a value indicating whether <see cref="IBudgetSpendLog.PruneSpendAsync"/> is the store's to call. Defaults to
    /// <see langword="true"/>; a client of a service that enforces its own retention (and whose keys each see one project)
    /// overrides it to return <see langword="false"/>, and tests that itself.
    /// </summary>
    protected virtual bool PrunesSpend => true;

    /// <summary>
    /// Creates an empty store as <see cref="NewStore"/> does, with its spend ledger; <see langword="null"/> when
    /// <see cref="KeepsSpendLedger"/> is off.
    /// </summary>
    protected (IBudgetStore Store, IBudgetSpendLog Log, FakeTimeProvider Time)? NewLedgerStore(BudgetStoreOptions? options = null, DateTimeOffset? start = null)
    {
        if (!KeepsSpendLedger)
        {
            return null;
        }

        var (store, time) = NewStore(options, start);
        return store is IBudgetSpendLog log
            ? (store, log, time)
            : throw new Xunit.Sdk.XunitException(
                $"{store.GetType().FullName} does not implement IBudgetSpendLog. A store without a spend ledger overrides KeepsSpendLedger to return false.");
    }

    /// <summary>Reads every record of a project, oldest first, page by page.</summary>
    protected static async Task<List<BudgetSpendRecord>> AllSpend(IBudgetSpendLog log, string project = Project)
    {
        var all = new List<BudgetSpendRecord>();
        long? after = null;
        do
        {
            BudgetSpendPage page = await log.QuerySpendAsync(project, new BudgetSpendQuery { OldestFirst = true, After = after, Limit = BudgetSpendQuery.MaxLimit });
            all.AddRange(page.Records);
            after = page.Next;
        }
        while (after is not null);

        return all;
    }

    /// <summary>Asserts that every budget of a project is balanced: its records add up to its spend.</summary>
    protected static async Task AssertBalanced(IBudgetStore store, IBudgetSpendLog log, string project = Project)
    {
        IReadOnlyList<BudgetSpendCheck> checks = await BudgetSpendVerifier.VerifyAsync(store, log, project);
        Assert.NotEmpty(checks);
        Assert.All(checks, c => Assert.True(c.IsBalanced, $"{c.Key}: spent {c.Spent} since {c.WindowStart:O}, records add up to {c.Recorded} ({c.Records} calls)."));
    }

    private static BudgetUsage Usage(decimal cost, long tokens, string? model, BudgetSpendRecord? record) => new(cost, tokens, model) { Record = record };

    // ---------------------------------------------------------------- what settles and charges write

    [Fact]
    public async Task Spend_Settle_WritesOneRecord_WithKeysCostTokensModelHeldAndId_AndTheCallersDetails()
    {
        if (NewLedgerStore() is not var (store, log, time))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(100m));
        Assert.True((await store.ReserveAsync(Project, ["user:1", "global"], new BudgetUsage(0.5m, 4_000, "gpt-4o"), "r1", Epoch.AddHours(1))).IsReserved);
        time.Advance(TimeSpan.FromSeconds(3));

        // What the store knows itself (id, time, keys, cost, tokens, model, held, sequence) wins over what the caller says.
        var details = new BudgetSpendRecord
        {
            Sequence = 77,
            Id = "not-r1",
            Time = Epoch.AddYears(-1),
            Keys = ["someone"],
            Cost = 9m,
            Tokens = 9,
            Held = 9m,
            SpentAfter = 9m,
            User = "1",
            RequestedModel = "gpt-4o",
            Model = "not-the-model",
            InputTokens = 600,
            CachedInputTokens = 100,
            OutputTokens = 300,
            ReasoningTokens = 50,
            Outcome = BudgetSpendOutcome.Estimated,
            Marks = BudgetSpendMarks.Downgraded | BudgetSpendMarks.Reduced,
            Reason = "no usage reported",
            RefusedKey = "global",
            RefusedWindow = "main",
            MaxOutputTokens = 256,
            Duration = TimeSpan.FromMilliseconds(2_345.6789),
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        };
        BudgetCompletion settled = await store.SettleAsync(Project, "r1", Usage(0.123456789012m, 900, "gpt-4o-mini", details));
        Assert.Equal(BudgetCompletionStatus.Completed, settled.Status);

        BudgetSpendRecord record = Assert.Single(await AllSpend(log));
        Assert.True(record.Sequence > 0, $"Sequence is {record.Sequence}.");
        Assert.NotEqual(77, record.Sequence);
        Assert.Equal("r1", record.Id);
        Assert.Equal(Epoch.AddSeconds(3), record.Time);
        Assert.Equal(["user:1", "global"], record.Keys);
        Assert.Equal(0.123456789012m, record.Cost);
        Assert.Equal(900, record.Tokens);
        Assert.Equal("gpt-4o-mini", record.Model);
        Assert.Equal(0.5m, record.Held);
        Assert.Null(record.SpentAfter);
        Assert.True(record.IsCall);

        // The caller's details, as they were given.
        Assert.Equal(
            ("1", "gpt-4o", 600L, 100L, 300L, 50L, BudgetSpendOutcome.Estimated, BudgetSpendMarks.Downgraded | BudgetSpendMarks.Reduced),
            (record.User, record.RequestedModel, record.InputTokens, record.CachedInputTokens, record.OutputTokens, record.ReasoningTokens, record.Outcome, record.Marks));
        Assert.Equal(
            ("no usage reported", "global", "main", 256, TimeSpan.FromMilliseconds(2_345.6789), "4bf92f3577b34da6a3ce929d0e0e4736"),
            (record.Reason, record.RefusedKey, record.RefusedWindow, record.MaxOutputTokens, record.Duration, record.TraceId));
    }

    [Fact]
    public async Task Spend_SettleWithoutDetails_RecordsWhatTheStoreKnows_AndTheModelReserved()
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], new BudgetUsage(0.5m, 1_000, "gpt-4o"), "r1", Epoch.AddHours(1))).IsReserved);

        // 18 places: recorded at the store's scale, as charged.
        await store.SettleAsync(Project, "r1", new BudgetUsage(0.000000012345678901m, 700));

        BudgetSpendRecord record = Assert.Single(await AllSpend(log));
        Assert.Equal(("r1", "gpt-4o", 0.000000012346m, 700L, 0.5m), (record.Id, record.Model, record.Cost, record.Tokens, record.Held));
        Assert.Equal(BudgetSpendOutcome.Charged, record.Outcome);
        Assert.Equal(BudgetSpendMarks.None, record.Marks);
        Assert.Null(record.User);
        Assert.Null(record.InputTokens);
        Assert.Null(record.Duration);
        Assert.Equal((await GetExisting(store, "user:1")).Spent, record.Cost);
    }

    [Fact]
    public async Task Spend_Charge_WritesOneRecord_WithItsKeysInOrder_AndNothingHeld()
    {
        if (NewLedgerStore() is not var (store, log, time))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(100m));
        time.Advance(TimeSpan.FromMinutes(1));

        await store.ChargeAsync(Project, ["global", "user:1"], Usage(0.25m, 300, "claude-sonnet-4", new BudgetSpendRecord { User = "1", InputTokens = 200, OutputTokens = 100 }), "c1");

        BudgetSpendRecord record = Assert.Single(await AllSpend(log));
        Assert.Equal(("c1", Epoch.AddMinutes(1), 0.25m, 300L, "claude-sonnet-4", 0m), (record.Id, record.Time, record.Cost, record.Tokens, record.Model, record.Held));
        Assert.Equal(["global", "user:1"], record.Keys);
        Assert.Equal(("1", 200L, 100L, BudgetSpendOutcome.Charged), (record.User, record.InputTokens, record.OutputTokens, record.Outcome));
    }

    [Fact]
    public async Task Spend_RetriedSettlesAndCharges_WriteNoSecondRecord()
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.5m, "r1", Epoch.AddHours(1))).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.4m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.1m, "m", "c1")).Status);

        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "r1", 0.4m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ChargeAsync(Project, ["user:1"], 0.1m, "m", "c1")).Status);

        Assert.Equal(["r1", "c1"], (await AllSpend(log)).Select(r => r.Id));
        await AssertBalanced(store, log);
    }

    [Fact]
    public async Task Spend_ConflictsNotFoundRefusalsAndReleases_WriteNoRecord()
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.5m, "r1", Epoch.AddHours(1))).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.1m, "m", "c1")).Status);
        List<BudgetSpendRecord> before = await AllSpend(log);

        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "never", 0.1m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.Conflict, (await store.ChargeAsync(Project, ["user:1"], 0.2m, "m", "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.Conflict, (await store.ChargeAsync(Project, ["user:1"], 0.2m, "m", "r1")).Status);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await store.ReserveAsync(Project, ["user:1"], 0.9m, "r2", Epoch.AddHours(1))).Status);
        await Assert.ThrowsAsync<BudgetNotFoundException>(() => store.ChargeAsync(Project, ["user:1", "nobody"], 0.1m, "m", "c2").AsTask());
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ReleaseAsync(Project, "r1")).Status);
        Assert.Equal(BudgetCompletionStatus.Conflict, (await store.SettleAsync(Project, "r1", 0.1m, "m")).Status);

        Assert.Equal(before.Select(r => r.Sequence), (await AllSpend(log)).Select(r => r.Sequence));
        Assert.Equal(["c1"], before.Select(r => r.Id));
    }

    [Fact]
    public async Task Spend_ResetsDeletionsAndMovedWindows_WriteCheckpoints_FromWhichTheRecordsCountOn()
    {
        if (NewLedgerStore() is not var (store, log, time))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(5m, BudgetPeriod.Daily));
        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(5m));
        await store.ChargeAsync(Project, ["user:1", "user:2"], 0.3m, "m", "c1");
        Assert.True((await store.ReserveAsync(Project, ["user:1", "user:2"], 0.5m, "r1", Epoch.AddHours(1))).IsReserved);

        time.Advance(TimeSpan.FromMinutes(1));
        await store.ResetBudgetAsync(Project, "user:2");
        await store.ChargeAsync(Project, ["user:2"], 0.05m, "m", "c2");

        // Only the amount changes: the window stays, and so does the count.
        time.Advance(TimeSpan.FromMinutes(1));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(7m, BudgetPeriod.Daily));

        // The period changes: the spend is carried into a window that starts elsewhere.
        time.Advance(TimeSpan.FromMinutes(1));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(7m, BudgetPeriod.Monthly));

        // Deleted while r1 holds on it: r1's settle is recorded against the key that is left.
        time.Advance(TimeSpan.FromMinutes(1));
        await store.DeleteBudgetAsync(Project, "user:2");
        await store.SettleAsync(Project, "r1", 0.2m, "m");

        List<BudgetSpendRecord> records = await AllSpend(log);
        Assert.Equal(
            [
                (BudgetSpendOutcome.Charged, "c1", "user:1,user:2", 0.3m, (decimal?)null),
                (BudgetSpendOutcome.Reset, null, "user:2", 0m, 0m),
                (BudgetSpendOutcome.Charged, "c2", "user:2", 0.05m, null),
                (BudgetSpendOutcome.Adjusted, null, "user:1", 0m, 0.3m),
                (BudgetSpendOutcome.Reset, null, "user:2", 0m, 0m),
                (BudgetSpendOutcome.Charged, "r1", "user:1", 0.2m, null),
            ],
            records.Select(r => (r.Outcome, r.Id, string.Join(',', r.Keys), r.Cost, r.SpentAfter)));
        Assert.Equal([Epoch.AddMinutes(1), Epoch.AddMinutes(3), Epoch.AddMinutes(4)], records.Where(r => !r.IsCall).Select(r => r.Time));
        Assert.All(records.Where(r => !r.IsCall), r => Assert.Equal(0m, r.Held));

        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(5m));
        await AssertBalanced(store, log);
        Assert.Equal(0.5m, (await BudgetSpendVerifier.VerifyAsync(store, log, Project, "user:1"))!.Recorded);
    }

    [Fact]
    public async Task Spend_RecordsAddUpToSpend_AfterAMixOfOperations_AcrossKeysWindowsAndARollover()
    {
        if (NewLedgerStore() is not var (store, log, time))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(5m, BudgetPeriod.Daily));
        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(50m, BudgetPeriod.Monthly));
        await store.SetBudgetAsync(Project, "team:a", new BudgetDefinition(20m, BudgetPeriod.Weekly));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition([BudgetLimit.Dollars(1000m), BudgetLimit.Dollars(10m, BudgetPeriod.Daily)]));
        string[][] keySets = [["user:1", "global"], ["user:2", "team:a", "global"], ["user:1", "team:a", "global"], ["user:2"]];
        for (int i = 0; i < 40; i++)
        {
            string[] keys = keySets[i % keySets.Length];
            decimal cost = 0.001m * (i + 1) + 0.000000000007m;
            switch (i % 5)
            {
                case 0 or 1:
                    Assert.True((await store.ReserveAsync(Project, keys, new BudgetUsage(cost * 2, 100, "gpt-4o"), $"r{i}", time.GetUtcNow().AddDays(2))).IsReserved);
                    time.Advance(TimeSpan.FromMinutes(7));
                    Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, $"r{i}", new BudgetUsage(cost, 90, i % 2 == 0 ? "gpt-4o-mini" : null))).Status);
                    break;
                case 2:
                    // Reserved before the rollover below and settled after it: charged in the window it ends in.
                    Assert.True((await store.ReserveAsync(Project, keys, cost, $"late{i}", time.GetUtcNow().AddDays(2))).IsReserved);
                    break;
                case 3:
                    await store.ChargeAsync(Project, keys, new BudgetUsage(cost, 10, "claude-sonnet-4"), $"c{i}");
                    break;
                default:
                    Assert.True((await store.ReserveAsync(Project, keys, cost, $"released{i}", time.GetUtcNow().AddDays(2))).IsReserved);
                    await store.ReleaseAsync(Project, $"released{i}");
                    break;
            }

            if (i == 15)
            {
                await store.ResetBudgetAsync(Project, "user:2");
            }

            if (i == 20)
            {
                await store.SetBudgetAsync(Project, "team:a", new BudgetDefinition(25m, BudgetPeriod.Weekly)); // same window
                await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(50m, BudgetPeriod.Daily)); // window moved
            }

            if (i == 25)
            {
                // Midnight passes: the daily windows roll over, and what was spent before no longer counts there.
                time.Advance(TimeSpan.FromHours(12));
            }
        }

        for (int i = 2; i < 40; i += 5)
        {
            Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, $"late{i}", 0.0005m, "gpt-4o")).Status);
        }

        await AssertBalanced(store, log);
        BudgetSpendCheck user1 = (await BudgetSpendVerifier.VerifyAsync(store, log, Project, "user:1"))!;
        Assert.Equal(Epoch.Date.AddDays(1).AsUtcInstant(), user1.WindowStart);
        Assert.True(user1.Spent > 0m && user1.Records > 0, $"user:1 spent {user1.Spent} in {user1.Records} records after the rollover.");
        BudgetSpendCheck global = (await BudgetSpendVerifier.VerifyAsync(store, log, Project, "global"))!;
        Assert.Equal(global.Spent, (await store.GetBudgetAsync(Project, "global"))!.Spent);
        Assert.Equal(24, global.Records); // the settles and charges that named global; releases write nothing
    }

    // ---------------------------------------------------------------- appending refusals and releases

    [Fact]
    public async Task Spend_Append_StoresRefusalsAndReleases_AtTheirTimeOrNow_AfterTheRecordsBefore()
    {
        if (NewLedgerStore() is not var (store, log, time))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.1m, "m", "c1");
        time.Advance(TimeSpan.FromSeconds(5));
        var refused = new BudgetSpendRecord
        {
            Keys = ["user:1", "global"],
            User = "1",
            RequestedModel = "gpt-4o",
            Model = "gpt-4o",
            InputTokens = 1_000,
            Tokens = 5_000,
            Outcome = BudgetSpendOutcome.Refused,
            Reason = "daily limit of user:1 would be exceeded",
            RefusedKey = "user:1",
            RefusedWindow = "daily",
            TraceId = "0af7651916cd43dd8448eb211c80319c",
        };
        var released = new BudgetSpendRecord
        {
            Id = "r9",
            Time = new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.FromHours(2)), // 11:00 UTC: before c1
            Keys = ["user:1"],
            Held = 0.25m,
            Outcome = BudgetSpendOutcome.Released,
            Duration = TimeSpan.FromSeconds(1.5),
        };

        await log.AppendSpendAsync(Project, refused);
        await log.AppendSpendAsync(Project, released);

        List<BudgetSpendRecord> records = await AllSpend(log);
        Assert.Equal(3, records.Count);
        Assert.True(records[0].Sequence < records[1].Sequence && records[1].Sequence < records[2].Sequence);
        BudgetSpendRecord first = records[1];
        Assert.Equal(Epoch.AddSeconds(5), first.Time);
        Assert.Equal(["user:1", "global"], first.Keys);
        Assert.Equal(
            (BudgetSpendOutcome.Refused, "1", "gpt-4o", "gpt-4o", 1_000L, 5_000L, 0m, "daily limit of user:1 would be exceeded", "user:1", "daily", "0af7651916cd43dd8448eb211c80319c"),
            (first.Outcome, first.User, first.RequestedModel, first.Model, first.InputTokens, first.Tokens, first.Cost, first.Reason, first.RefusedKey, first.RefusedWindow, first.TraceId));
        Assert.Null(first.Id);
        BudgetSpendRecord second = records[2];
        Assert.Equal(Epoch.AddHours(-1), second.Time);
        Assert.Equal(("r9", 0.25m, BudgetSpendOutcome.Released, TimeSpan.FromSeconds(1.5)), (second.Id, second.Held, second.Outcome, second.Duration));

        // Neither changes a spend, and both are calls that cost nothing.
        Assert.Equal(0.1m, (await GetExisting(store, "user:1")).Spent);
        BudgetSpendGroup total = Assert.Single(await log.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.None));
        Assert.Equal((3L, 1L, 0.1m, 5_000L, 1_000L), (total.Calls, total.Refused, total.Cost, total.Tokens, total.InputTokens));
        await AssertBalanced(store, log);
    }

    private static readonly Dictionary<string, (string Param, Func<IBudgetSpendLog, Task> Call)> InvalidSpendCalls = new()
    {
        ["Append: null project"] = ("project", l => l.AppendSpendAsync(null!, Refusal()).AsTask()),
        ["Append: blank project"] = ("project", l => l.AppendSpendAsync(" ", Refusal()).AsTask()),
        ["Append: null record"] = ("record", l => l.AppendSpendAsync(Project, null!).AsTask()),
        ["Append: a charged record"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Outcome = BudgetSpendOutcome.Charged }).AsTask()),
        ["Append: a reset"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Outcome = BudgetSpendOutcome.Reset }).AsTask()),
        ["Append: an unknown outcome"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Outcome = (BudgetSpendOutcome)42 }).AsTask()),
        ["Append: a cost"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Cost = 0.01m }).AsTask()),
        ["Append: null keys"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Keys = null! }).AsTask()),
        ["Append: no keys"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Keys = [] }).AsTask()),
        ["Append: a blank key"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Keys = ["user:1", " "] }).AsTask()),
        ["Append: a key twice"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Keys = ["user:1", "user:1"] }).AsTask()),
        ["Append: negative tokens"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Tokens = -1 }).AsTask()),
        ["Append: negative input tokens"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { InputTokens = -1 }).AsTask()),
        ["Append: a blank model"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Model = "" }).AsTask()),
        ["Append: a blank user"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { User = " " }).AsTask()),
        ["Append: a lone surrogate in the reason"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Reason = "bad \uD800" }).AsTask()),
        ["Append: a reason too long"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Reason = new string('x', BudgetStoreArguments.MaxRecordText + 1) }).AsTask()),
        ["Append: negative held"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Held = -0.01m }).AsTask()),
        ["Append: negative duration"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Duration = TimeSpan.FromSeconds(-1) }).AsTask()),
        ["Append: zero max output tokens"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { MaxOutputTokens = 0 }).AsTask()),
        ["Append: unknown marks"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Marks = (BudgetSpendMarks)64 }).AsTask()),
        ["Append: a blank id"] = ("record", l => l.AppendSpendAsync(Project, Refusal() with { Id = "" }).AsTask()),
        ["Query: blank project"] = ("project", l => l.QuerySpendAsync("", new BudgetSpendQuery()).AsTask()),
        ["Query: null query"] = ("query", l => l.QuerySpendAsync(Project, null!).AsTask()),
        ["Query: limit 0"] = (nameof(BudgetSpendQuery.Limit), l => l.QuerySpendAsync(Project, new BudgetSpendQuery { Limit = 0 }).AsTask()),
        ["Query: limit above the most"] = (nameof(BudgetSpendQuery.Limit), l => l.QuerySpendAsync(Project, new BudgetSpendQuery { Limit = BudgetSpendQuery.MaxLimit + 1 }).AsTask()),
        ["Query: To before From"] = (nameof(BudgetSpendQuery.To), l => l.QuerySpendAsync(Project, new BudgetSpendQuery { From = Epoch, To = Epoch.AddTicks(-1) }).AsTask()),
        ["Query: negative After"] = (nameof(BudgetSpendQuery.After), l => l.QuerySpendAsync(Project, new BudgetSpendQuery { After = -1 }).AsTask()),
        ["Query: unknown outcome"] = (nameof(BudgetSpendQuery.Outcome), l => l.QuerySpendAsync(Project, new BudgetSpendQuery { Outcome = (BudgetSpendOutcome)9 }).AsTask()),
        ["Group: blank project"] = ("project", l => l.GroupSpendAsync(" ", new BudgetSpendQuery(), BudgetSpendGrouping.User).AsTask()),
        ["Group: null query"] = ("query", l => l.GroupSpendAsync(Project, null!, BudgetSpendGrouping.User).AsTask()),
        ["Group: negative Before"] = (nameof(BudgetSpendQuery.Before), l => l.GroupSpendAsync(Project, new BudgetSpendQuery { Before = -1 }, BudgetSpendGrouping.User).AsTask()),
        ["Group: top 0"] = (nameof(BudgetSpendQuery.Top), l => l.GroupSpendAsync(Project, new BudgetSpendQuery { Top = 0 }, BudgetSpendGrouping.User).AsTask()),
        ["Group: top above the most"] = (nameof(BudgetSpendQuery.Top), l => l.GroupSpendAsync(Project, new BudgetSpendQuery { Top = BudgetSpendQuery.MaxLimit + 1 }, BudgetSpendGrouping.Key).AsTask()),
        ["Group: unknown grouping"] = ("grouping", l => l.GroupSpendAsync(Project, new BudgetSpendQuery(), (BudgetSpendGrouping)99).AsTask()),
    };

    private static BudgetSpendRecord Refusal() => new()
    {
        Keys = ["user:1"],
        User = "1",
        Model = "gpt-4o",
        Outcome = BudgetSpendOutcome.Refused,
    };

    public static TheoryData<string> InvalidSpendCallNames() => [.. InvalidSpendCalls.Keys];

    [Theory]
    [MemberData(nameof(InvalidSpendCallNames))]
    public async Task Spend_InvalidArgument_ThrowsNamingIt_AndWritesNothing(string call)
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.1m, "m", "c1");
        (string param, Func<IBudgetSpendLog, Task> invoke) = InvalidSpendCalls[call];

        ArgumentException ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => invoke(log));

        Assert.Equal(param, ex.ParamName);
        Assert.Equal(["c1"], (await AllSpend(log)).Select(r => r.Id));
    }

    [Fact]
    public async Task Spend_OfAProjectWithoutRecords_IsAnEmptyPage_AndOneEmptyTotal()
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.1m, "m", "c1");

        BudgetSpendPage page = await log.QuerySpendAsync(OtherProject, new BudgetSpendQuery());
        Assert.Empty(page.Records);
        Assert.Null(page.Next);
        BudgetSpendGroup total = Assert.Single(await log.GroupSpendAsync(OtherProject, new BudgetSpendQuery(), BudgetSpendGrouping.None));
        Assert.Equal(new BudgetSpendGroup(), total);
        Assert.Empty(await log.GroupSpendAsync(OtherProject, new BudgetSpendQuery(), BudgetSpendGrouping.User));
        Assert.Empty(await log.GroupSpendAsync(Project, new BudgetSpendQuery { User = "nobody" }, BudgetSpendGrouping.Model));
    }

    [Fact]
    public async Task Spend_UpdateProjectThatThrows_WritesNoRecord_AndOneThatCompletes_WritesEach()
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        if (store is not ITransactionalBudgetStore transactional)
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        await store.ChargeAsync(Project, ["user:1"], 1m, "m", "c1");

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await transactional.UpdateProjectAsync(Project, 0, static (ledger, _, now) =>
        {
            ledger.Charge(["user:1"], 2m, "c2", now);
            ledger.Reset("user:1", now);
            return ledger.List(now).Count > 0 ? throw new InvalidOperationException("half way") : 0;
        }));
        Assert.Equal(["c1"], (await AllSpend(log)).Select(r => r.Id));

        await transactional.UpdateProjectAsync(Project, 0, static (ledger, _, now) =>
        {
            ledger.Charge(["user:1"], 2m, "c2", now);
            ledger.Reset("user:1", now);
            return ledger.Charge(["user:1"], 3m, "c3", now);
        });
        Assert.Equal(
            [("c1", BudgetSpendOutcome.Charged), ("c2", BudgetSpendOutcome.Charged), (null, BudgetSpendOutcome.Reset), ("c3", BudgetSpendOutcome.Charged)],
            (await AllSpend(log)).Select(r => (r.Id, r.Outcome)));
        await AssertBalanced(store, log);
    }

    // ---------------------------------------------------------------- queries and groups

    /// <summary>
    /// Nine records of <see cref="Project"/> over two UTC days (and one of <see cref="OtherProject"/>): charges, settles,
    /// refusals, a release stamped before the records it follows, a reset, two users, three models, keys shared.
    /// </summary>
    private async Task<(IBudgetStore Store, IBudgetSpendLog Log)?> NewLedgerWithRecords()
    {
        if (NewLedgerStore() is not var (store, log, time))
        {
            return null;
        }

        foreach (string key in new[] { "user:1", "user:2", "global", "team:a" })
        {
            await store.SetBudgetAsync(Project, key, new BudgetDefinition(100m));
        }

        await store.SetBudgetAsync(OtherProject, "global", new BudgetDefinition(100m));
        await store.ChargeAsync(OtherProject, ["global"], Usage(0.75m, 10, "gpt-4o", new BudgetSpendRecord { User = "1" }), "elsewhere");

        // Tuesday 12:00 UTC
        Assert.True((await store.ReserveAsync(Project, ["user:1", "global"], new BudgetUsage(0.5m, 2_000, "gpt-4o"), "r1", time.GetUtcNow().AddDays(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(10));
        await store.SettleAsync(Project, "r1", Usage(0.25m, 1_200, "gpt-4o", new BudgetSpendRecord { User = "1", InputTokens = 1_000, OutputTokens = 200 }));

        time.Advance(TimeSpan.FromHours(2)); // 14:10
        await store.ChargeAsync(Project, ["user:2", "global", "team:a"], Usage(0.1m, 300, "gpt-4o-mini", new BudgetSpendRecord
        {
            User = "2",
            RequestedModel = "gpt-4o",
            Outcome = BudgetSpendOutcome.Estimated,
            Marks = BudgetSpendMarks.Downgraded,
            Reason = "no usage reported",
        }), "c1");
        await log.AppendSpendAsync(Project, new BudgetSpendRecord
        {
            Keys = ["user:1", "global"],
            User = "1",
            Model = "gpt-4o",
            Tokens = 4_000,
            InputTokens = 3_000,
            Outcome = BudgetSpendOutcome.Refused,
            RefusedKey = "user:1",
            RefusedWindow = "main",
        });

        time.Advance(TimeSpan.FromHours(11)); // Wednesday 01:10
        Assert.True((await store.ReserveAsync(Project, ["user:2", "global"], new BudgetUsage(0.3m, 900, "claude-sonnet-4"), "r2", time.GetUtcNow().AddDays(1))).IsReserved);
        await store.SettleAsync(Project, "r2", Usage(0.2m, 800, "claude-sonnet-4", new BudgetSpendRecord
        {
            User = "2",
            Marks = BudgetSpendMarks.Reduced | BudgetSpendMarks.WouldRefuse,
            MaxOutputTokens = 100,
            RefusedKey = "global",
            RefusedWindow = "main",
            InputTokens = 700,
            OutputTokens = 100,
        }));

        // Stamped Tuesday 22:30 UTC (Wednesday 00:30 at +02:00), after records of 14:10.
        await log.AppendSpendAsync(Project, new BudgetSpendRecord
        {
            Id = "r3",
            Time = new DateTimeOffset(2026, 3, 11, 0, 30, 0, TimeSpan.FromHours(2)),
            Keys = ["user:1", "global"],
            User = "1",
            Model = "gpt-4o",
            Held = 0.4m,
            Outcome = BudgetSpendOutcome.Released,
        });
        await store.ResetBudgetAsync(Project, "user:2");
        await store.ChargeAsync(Project, ["global"], new BudgetUsage(0.05m, 50), "c2");

        time.Advance(TimeSpan.FromMinutes(30)); // Wednesday 01:40
        await store.ChargeAsync(Project, ["user:1", "global"], Usage(0.123456789012m, 22, "gpt-4o", new BudgetSpendRecord
        {
            User = "1",
            InputTokens = 10,
            CachedInputTokens = 5,
            OutputTokens = 12,
            ReasoningTokens = 3,
            Marks = BudgetSpendMarks.Downgraded,
        }), "c3");
        await log.AppendSpendAsync(Project, new BudgetSpendRecord
        {
            Keys = ["user:2", "team:a", "global"],
            User = "2",
            Model = "gpt-4o-mini",
            Outcome = BudgetSpendOutcome.Refused,
            Marks = BudgetSpendMarks.Downgraded,
        });
        return (store, log);
    }

    /// <summary>Queries that each filter on one thing (or a few), for the filter and group tests.</summary>
    private static IEnumerable<(string Name, BudgetSpendQuery Query)> FilterQueries(List<BudgetSpendRecord> all)
    {
        long middle = all[all.Count / 2].Sequence;
        yield return ("everything", new BudgetSpendQuery());
        yield return ("from", new BudgetSpendQuery { From = Epoch.AddHours(2).AddMinutes(10) });
        yield return ("to", new BudgetSpendQuery { To = Epoch.AddHours(11) });
        yield return ("from and to, an exact instant", new BudgetSpendQuery { From = Epoch.AddMinutes(10), To = Epoch.AddHours(13).AddMinutes(10) });
        yield return ("from at +02:00", new BudgetSpendQuery { From = new DateTimeOffset(2026, 3, 11, 0, 0, 0, TimeSpan.FromHours(2)) });
        yield return ("an empty range", new BudgetSpendQuery { From = Epoch.AddMinutes(5), To = Epoch.AddMinutes(5) });
        yield return ("user", new BudgetSpendQuery { User = "1" });
        yield return ("unknown user", new BudgetSpendQuery { User = "3" });
        yield return ("key", new BudgetSpendQuery { Key = "user:2" });
        yield return ("key shared by all", new BudgetSpendQuery { Key = "global" });
        yield return ("key of few", new BudgetSpendQuery { Key = "team:a" });
        yield return ("model", new BudgetSpendQuery { Model = "gpt-4o" });
        yield return ("model, not requested model", new BudgetSpendQuery { Model = "gpt-4o-mini" });
        yield return ("outcome refused", new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Refused });
        yield return ("outcome reset", new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Reset });
        yield return ("outcome estimated", new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Estimated });
        yield return ("mark downgraded", new BudgetSpendQuery { Marks = BudgetSpendMarks.Downgraded });
        yield return ("marks reduced and would refuse", new BudgetSpendQuery { Marks = BudgetSpendMarks.Reduced | BudgetSpendMarks.WouldRefuse });
        yield return ("after", new BudgetSpendQuery { After = middle });
        yield return ("before", new BudgetSpendQuery { Before = middle });
        yield return ("user, key and range", new BudgetSpendQuery { User = "1", Key = "global", From = Epoch, To = Epoch.AddDays(1) });
        yield return ("key, outcome and after", new BudgetSpendQuery { Key = "global", Outcome = BudgetSpendOutcome.Charged, After = all[1].Sequence });
        yield return ("model and marks", new BudgetSpendQuery { Model = "gpt-4o-mini", Marks = BudgetSpendMarks.Downgraded });
    }

    [Fact]
    public async Task Spend_EveryFilter_InBothOrders_PagesThroughEveryMatchingRecord_WithoutDuplicatesOrGaps()
    {
        if (await NewLedgerWithRecords() is not var (_, log))
        {
            return;
        }

        List<BudgetSpendRecord> all = await AllSpend(log);
        Assert.Equal(9, all.Count);
        Assert.Equal(all.Select(r => r.Sequence).Order(), all.Select(r => r.Sequence));
        Assert.Equal(all.Count, all.Select(r => r.Sequence).Distinct().Count());

        foreach ((string name, BudgetSpendQuery filter) in FilterQueries(all))
        {
            BudgetSpendRecord[] expected = [.. all.Where(filter.Matches)];
            foreach (bool oldestFirst in new[] { true, false })
            {
                // Two records a page, from the first page to the last.
                var read = new List<long>();
                BudgetSpendQuery query = filter with { OldestFirst = oldestFirst, Limit = 2 };
                int pages = 0;
                while (true)
                {
                    BudgetSpendPage page = await log.QuerySpendAsync(Project, query);
                    pages++;
                    Assert.True(page.Records.Count <= 2, $"{name}: a page of {page.Records.Count} records, above the limit.");
                    Assert.All(page.Records, r => Assert.True(filter.Matches(r), $"{name}: record {r.Sequence} does not match."));
                    read.AddRange(page.Records.Select(r => r.Sequence));
                    if (page.Next is not { } next)
                    {
                        break;
                    }

                    Assert.Equal(2, page.Records.Count);
                    Assert.Equal(page.Records[^1].Sequence, next);
                    query = oldestFirst ? query with { After = next } : query with { Before = next };
                    Assert.True(pages < 20, $"{name}: paging does not end.");
                }

                long[] order = oldestFirst ? [.. expected.Select(r => r.Sequence)] : [.. expected.Select(r => r.Sequence).Reverse()];
                Assert.True(order.SequenceEqual(read), $"{name}, {(oldestFirst ? "oldest" : "newest")} first: read [{string.Join(", ", read)}], expected [{string.Join(", ", order)}].");
                Assert.Equal(Math.Max(1, (expected.Length + 1) / 2), pages);
            }
        }

        // Spot checks of the filters themselves, so that a store and Matches cannot agree on a wrong answer.
        Assert.Equal(["r1", null, "r3", "c3"], (await log.QuerySpendAsync(Project, new BudgetSpendQuery { User = "1", OldestFirst = true })).Records.Select(r => r.Id));
        Assert.Equal(["c1", null], (await log.QuerySpendAsync(Project, new BudgetSpendQuery { Key = "team:a", OldestFirst = true })).Records.Select(r => r.Id));
        Assert.Equal(["c3", "c1"], (await log.QuerySpendAsync(Project, new BudgetSpendQuery { Marks = BudgetSpendMarks.Downgraded, Outcome = BudgetSpendOutcome.Charged })).Records.Select(r => r.Id).Concat(
            (await log.QuerySpendAsync(Project, new BudgetSpendQuery { Marks = BudgetSpendMarks.Downgraded, Outcome = BudgetSpendOutcome.Estimated })).Records.Select(r => r.Id)));
        Assert.Equal(["r3"], (await log.QuerySpendAsync(Project, new BudgetSpendQuery { From = Epoch.AddHours(10), To = Epoch.AddHours(11) })).Records.Select(r => r.Id));
        Assert.Equal(["elsewhere"], (await AllSpend(log, OtherProject)).Select(r => r.Id));
    }

    public static TheoryData<BudgetSpendGrouping> SpendGroupings() => [.. Enum.GetValues<BudgetSpendGrouping>()];

    [Theory]
    [MemberData(nameof(SpendGroupings))]
    public async Task Spend_Groups_AddUpTheMatchingRecords_ExactlyAndInTheDocumentedOrder(BudgetSpendGrouping grouping)
    {
        if (await NewLedgerWithRecords() is not var (_, log))
        {
            return;
        }

        List<BudgetSpendRecord> all = await AllSpend(log);
        foreach ((string name, BudgetSpendQuery filter) in FilterQueries(all))
        {
            // Paging is not grouping: a limit and an order change nothing.
            BudgetSpendQuery query = filter with { Limit = 1, OldestFirst = !filter.OldestFirst };
            IReadOnlyList<BudgetSpendGroup> groups = await log.GroupSpendAsync(Project, query, grouping);

            IReadOnlyList<BudgetSpendGroup> expected = ExpectedGroups(all.Where(filter.Matches), grouping);
            Assert.True(
                expected.SequenceEqual(groups),
                $"{name}, by {grouping}:\n  got      {string.Join("\n           ", groups)}\n  expected {string.Join("\n           ", expected)}");
        }
    }

    [Theory]
    [MemberData(nameof(SpendGroupings))]
    public async Task Spend_Groups_WithTop_AreTheFirstGroupsOfTheWholeAnswer(BudgetSpendGrouping grouping)
    {
        if (await NewLedgerWithRecords() is not var (_, log))
        {
            return;
        }

        foreach ((string name, BudgetSpendQuery filter) in FilterQueries(await AllSpend(log)))
        {
            IReadOnlyList<BudgetSpendGroup> every = await log.GroupSpendAsync(Project, filter, grouping);
            foreach (int top in (int[])[1, 2, 3, BudgetSpendQuery.MaxLimit])
            {
                IReadOnlyList<BudgetSpendGroup> first = await log.GroupSpendAsync(Project, filter with { Top = top }, grouping);
                Assert.True(every.Take(top).SequenceEqual(first), $"{name}, by {grouping}, top {top}: got {string.Join(", ", first.Select(g => g.Value))}");
            }
        }
    }

    [Fact]
    public async Task Spend_Groups_CountARecordOfSeveralKeysInEach_AndTellDaysAndHoursInUtc()
    {
        if (await NewLedgerWithRecords() is not var (_, log))
        {
            return;
        }

        var all = new BudgetSpendQuery();
        IReadOnlyList<BudgetSpendGroup> byKey = await log.GroupSpendAsync(Project, all, BudgetSpendGrouping.Key);
        Assert.Equal(["global", "user:1", "user:2", "team:a"], byKey.Select(g => g.Value));
        Assert.Equal([0.723456789012m, 0.373456789012m, 0.3m, 0.1m], byKey.Select(g => g.Cost));
        Assert.Equal([8L, 4L, 3L, 2L], byKey.Select(g => g.Calls)); // user:2's reset is no call
        Assert.Equal([2L, 1L, 1L, 1L], byKey.Select(g => g.Refused));

        IReadOnlyList<BudgetSpendGroup> byDay = await log.GroupSpendAsync(Project, all, BudgetSpendGrouping.Day);
        Assert.Equal([("2026-03-10", 0.35m, 4L), ("2026-03-11", 0.373456789012m, 4L)], byDay.Select(g => (g.Value!, g.Cost, g.Calls)));
        IReadOnlyList<BudgetSpendGroup> byHour = await log.GroupSpendAsync(Project, all, BudgetSpendGrouping.Hour);
        Assert.Equal(["2026-03-10T12", "2026-03-10T14", "2026-03-10T22", "2026-03-11T01"], byHour.Select(g => g.Value));

        IReadOnlyList<BudgetSpendGroup> byUser = await log.GroupSpendAsync(Project, all, BudgetSpendGrouping.User);
        Assert.Equal([("1", 0.373456789012m), ("2", 0.3m), (null, 0.05m)], byUser.Select(g => (g.Value, g.Cost)));
        Assert.Equal(
            [("charged", 0.623456789012m, 2_072L, 1_710L), ("estimated", 0.1m, 300L, 0L), ("refused", 0m, 4_000L, 3_000L), ("released", 0m, 0L, 0L), ("reset", 0m, 0L, 0L)],
            (await log.GroupSpendAsync(Project, all, BudgetSpendGrouping.Outcome)).Select(g => (g.Value!, g.Cost, g.Tokens, g.InputTokens)));
        BudgetSpendGroup total = Assert.Single(await log.GroupSpendAsync(Project, all, BudgetSpendGrouping.None));
        Assert.Equal((8L, 2L, 0.723456789012m, 6_372L, 4_710L, 312L), (total.Calls, total.Refused, total.Cost, total.Tokens, total.InputTokens, total.OutputTokens));
    }

    [Fact]
    public async Task Spend_GroupSums_AreExact_AtTheStoresScaleAndRange()
    {
        if (NewLedgerStore() is not var (store, log, _))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "big", new BudgetDefinition(BudgetAmounts.Max));
        await store.ChargeAsync(Project, ["big"], 999_999_999_999.999999999999m, "m", "c1");
        await store.ChargeAsync(Project, ["big"], 0.000000000001m, "m", "c2");
        await store.ChargeAsync(Project, ["big"], 0.000000000001m, "n", "c3");
        for (int i = 0; i < 10; i++)
        {
            await store.ChargeAsync(Project, ["big"], 0.1m, "n", $"d{i}"); // 0.1 has no exact binary form
        }

        Assert.Equal(1_000_000_000_001.000000000001m, Assert.Single(await log.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.None)).Cost);
        Assert.Equal(
            [("m", 1_000_000_000_000.000000000000m), ("n", 1.000000000001m)],
            (await log.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.Model)).Select(g => (g.Value!, g.Cost)));
        Assert.Equal(999_999_999_999.999999999999m, (await AllSpend(log))[0].Cost);
        await AssertBalanced(store, log);
    }

    private static List<BudgetSpendGroup> ExpectedGroups(IEnumerable<BudgetSpendRecord> records, BudgetSpendGrouping grouping)
    {
        IEnumerable<(string? Value, BudgetSpendRecord Record)> rows = grouping == BudgetSpendGrouping.Key
            ? records.SelectMany(r => r.Keys.Select(k => ((string?)k, r)))
            : records.Select(r => (BudgetSpendNames.GroupValue(r, grouping), r));
        List<BudgetSpendGroup> groups = [.. rows
            .GroupBy(row => row.Value, StringComparer.Ordinal)
            .Select(g => new BudgetSpendGroup
            {
                Value = g.Key,
                Calls = g.Count(row => row.Record.IsCall),
                Refused = g.Count(row => row.Record.Outcome == BudgetSpendOutcome.Refused),
                Cost = g.Sum(row => row.Record.Cost),
                Tokens = g.Sum(row => row.Record.Tokens),
                InputTokens = g.Sum(row => row.Record.InputTokens ?? 0),
                OutputTokens = g.Sum(row => row.Record.OutputTokens ?? 0),
            })];
        if (grouping == BudgetSpendGrouping.None && groups.Count == 0)
        {
            groups.Add(new BudgetSpendGroup());
        }

        return grouping is BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour
            ? [.. groups.OrderBy(g => g.Value, StringComparer.Ordinal)]
            : [.. groups.OrderByDescending(g => g.Cost).ThenBy(g => g.Value, StringComparer.Ordinal)];
    }

    // ---------------------------------------------------------------- retention

    [Fact]
    public async Task Spend_Prune_DeletesOnlyTheRecordsOlderThanTheTime_InEveryProject_AndSequencesGoOnRising()
    {
        if (!PrunesSpend || NewLedgerStore() is not var (store, log, time))
        {
            return;
        }

        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(100m));
        await store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(100m));
        for (int i = 0; i < 6; i++)
        {
            await store.ChargeAsync(Project, ["user:1"], 0.01m, "m", $"c{i}");
            await store.ChargeAsync(OtherProject, ["user:1"], 0.01m, "m", $"c{i}");
            time.Advance(TimeSpan.FromDays(1));
        }

        List<BudgetSpendRecord> before = await AllSpend(log);
        DateTimeOffset cut = Epoch.AddDays(3); // c0, c1 and c2 are older; c3 was recorded at the cut itself

        long pruned = await log.PruneSpendAsync(cut);

        Assert.Equal(6, pruned);
        Assert.Equal(before.Skip(3).Select(r => r.Sequence), (await AllSpend(log)).Select(r => r.Sequence));
        Assert.Equal(["c3", "c4", "c5"], (await AllSpend(log, OtherProject)).Select(r => r.Id));
        Assert.Equal(3L, Assert.Single(await log.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.None)).Calls);
        Assert.Equal(3L, Assert.Single(await log.GroupSpendAsync(Project, new BudgetSpendQuery { Key = "user:1" }, BudgetSpendGrouping.Key)).Calls);
        Assert.Equal(0, await log.PruneSpendAsync(cut));

        // Pruned to nothing, a project's next record still comes after every record it had.
        Assert.Equal(6, await log.PruneSpendAsync(time.GetUtcNow()));
        Assert.Empty(await AllSpend(log));
        await store.ChargeAsync(Project, ["user:1"], 0.01m, "m", "c9");
        Assert.True(Assert.Single(await AllSpend(log)).Sequence > before[^1].Sequence);
    }
}
