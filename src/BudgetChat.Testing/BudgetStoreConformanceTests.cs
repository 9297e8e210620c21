using System.Globalization;
using BudgetChat.Stores;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Testing;

/// <summary>
/// The contract of <see cref="IBudgetStore"/>: every store's test class derives from this one and implements only
/// <see cref="CreateStore"/> (plus whatever is specific to that store).
/// </summary>
/// <remarks>
/// <para>
/// Each test gets its own store from <see cref="NewStore"/>. <see cref="CreateStore"/> must return a store that is
/// empty, reads the time from the given clock (a hosted store's server must use the same clock), and uses the
/// given options' time zone and retention. Stores are disposed after the test through <see cref="DisposeStoreAsync"/>.
/// </para>
/// <para>The clock starts at Tuesday 10 March 2026, 12:00 UTC (<see cref="Epoch"/>) unless a test says otherwise.</para>
/// </remarks>
public abstract partial class BudgetStoreConformanceTests : IAsyncLifetime
{
    protected const string Project = "acme";
    protected const string OtherProject = "globex";

    private readonly List<IBudgetStore> _stores = [];

    /// <summary>Gets the instant every test's clock starts at: Tuesday 2026-03-10 12:00 UTC.</summary>
    protected static DateTimeOffset Epoch { get; } = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Creates an empty store that reads the time from <paramref name="time"/>.</summary>
    protected abstract IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options);

    /// <summary>Creates an empty store and its clock, and remembers the store for disposal after the test.</summary>
    protected (IBudgetStore Store, FakeTimeProvider Time) NewStore(BudgetStoreOptions? options = null, DateTimeOffset? start = null)
    {
        var time = new FakeTimeProvider(start ?? Epoch);
        IBudgetStore store = CreateStore(time, options ?? new BudgetStoreOptions());
        lock (_stores)
        {
            _stores.Add(store);
        }

        return (store, time);
    }

    /// <summary>Releases a store created by <see cref="NewStore"/>; override to delete files, stop servers, and so on.</summary>
    protected virtual async ValueTask DisposeStoreAsync(IBudgetStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        IBudgetStore[] stores;
        lock (_stores)
        {
            stores = [.. _stores];
            _stores.Clear();
        }

        foreach (IBudgetStore store in stores)
        {
            await DisposeStoreAsync(store);
        }
    }

    // ---------------------------------------------------------------- helpers

    protected static async Task<BudgetState> GetExisting(IBudgetStore store, string key, string project = Project)
    {
        BudgetState? state = await store.GetBudgetAsync(project, key);
        Assert.NotNull(state);
        return state;
    }

    protected static ValueTask<BudgetReservationResult> Reserve(IBudgetStore store, FakeTimeProvider time, string reservationId, decimal amount, params string[] keys) =>
        store.ReserveAsync(Project, keys, amount, reservationId, time.GetUtcNow().AddHours(1));

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    // ---------------------------------------------------------------- get, set, get-or-create, delete, list

    [Fact]
    public async Task GetBudget_ReturnsNull_WhenKeyHasNoBudget()
    {
        var (store, _) = NewStore();
        Assert.Null(await store.GetBudgetAsync(Project, "user:1"));

        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1m));
        Assert.Null(await store.GetBudgetAsync(Project, "user:1"));
    }

    [Fact]
    public async Task SetBudget_CreatesBudget_WithNothingSpent()
    {
        var (store, _) = NewStore();

        BudgetState created = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(2.50m));

        Assert.Equal(Project, created.Project);
        Assert.Equal("user:1", created.Key);
        Assert.Equal(2.50m, created.Limit);
        Assert.Equal(BudgetPeriod.None, created.Definition.Period);
        Assert.Equal(0m, created.Spent);
        Assert.Equal(0m, created.Reserved);
        Assert.Equal(2.50m, created.Remaining);
        Assert.Empty(created.SpendByModel);
        Assert.Equal(Epoch, created.CreatedAt);
        Assert.Equal(Epoch, created.UpdatedAt);

        BudgetState read = await GetExisting(store, "user:1");
        Assert.Equal(created.Definition, read.Definition);
        Assert.Equal(Epoch, read.CreatedAt);
    }

    [Fact]
    public async Task SetBudget_Again_ChangesTheLimit_AndKeepsSpendAndHolds()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.30m, "gpt-4o", "c1");
        Assert.True((await Reserve(store, time, "r1", 0.20m, "user:1")).IsReserved);
        time.Advance(TimeSpan.FromMinutes(5));

        BudgetState changed = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(5m));

        Assert.Equal(5m, changed.Limit);
        Assert.Equal(0.30m, changed.Spent);
        Assert.Equal(0.20m, changed.Reserved);
        Assert.Equal(4.50m, changed.Remaining);
        Assert.Equal(0.30m, changed.SpendByModel["gpt-4o"]);
        Assert.Equal(Epoch, changed.CreatedAt);
        Assert.Equal(Epoch.AddMinutes(5), changed.UpdatedAt);
        Assert.Equal(5m, (await GetExisting(store, "user:1")).Limit);
    }

    [Fact]
    public async Task SetBudget_BelowWhatIsSpent_LeavesNothingRemaining()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.60m, null, "c1");

        BudgetState changed = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(0.50m));

        Assert.Equal(0.60m, changed.Spent);
        Assert.Equal(0m, changed.Remaining);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r1", 0.01m, "user:1")).Status);
    }

    [Fact]
    public async Task GetOrCreateBudget_CreatesOnce_ThenReturnsTheExistingBudget()
    {
        var (store, time) = NewStore();

        BudgetState first = await store.GetOrCreateBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.ChargeAsync(Project, ["user:1"], 0.25m, null, "c1");
        time.Advance(TimeSpan.FromMinutes(1));
        BudgetState second = await store.GetOrCreateBudgetAsync(Project, "user:1", new BudgetDefinition(9m, BudgetPeriod.Monthly));

        Assert.Equal(1m, first.Limit);
        Assert.Equal(0m, first.Spent);
        Assert.Equal(new BudgetDefinition(1m, BudgetPeriod.Daily), second.Definition);
        Assert.Equal(0.25m, second.Spent);
        Assert.Equal(first.CreatedAt, second.CreatedAt);
        Assert.Equal(new BudgetDefinition(1m, BudgetPeriod.Daily), (await GetExisting(store, "user:1")).Definition);
    }

    [Fact]
    public async Task GetOrCreateBudget_UnderConcurrency_CreatesExactlyOnce()
    {
        var (store, time) = NewStore();
        time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1); // every creation would get its own CreatedAt
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BudgetState>[] calls = [.. Enumerable.Range(1, 50).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await store.GetOrCreateBudgetAsync(Project, "user:1", new BudgetDefinition(i));
        }))];

        go.SetResult();
        BudgetState[] results = await Task.WhenAll(calls);

        BudgetState stored = await GetExisting(store, "user:1");
        Assert.All(results, r => Assert.Equal(stored.Limit, r.Limit));
        Assert.All(results, r => Assert.Equal(stored.CreatedAt, r.CreatedAt));
        Assert.Single(await store.ListBudgetsAsync(Project));
    }

    [Fact]
    public async Task DeleteBudget_RemovesTheBudget_AndReportsWhetherOneExisted()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(1m));

        Assert.True(await store.DeleteBudgetAsync(Project, "user:1"));
        Assert.False(await store.DeleteBudgetAsync(Project, "user:1"));
        Assert.False(await store.DeleteBudgetAsync(Project, "never"));

        Assert.Null(await store.GetBudgetAsync(Project, "user:1"));
        Assert.Equal(["user:2"], (await store.ListBudgetsAsync(Project)).Select(b => b.Key));
    }

    [Fact]
    public async Task DeleteBudget_ThenSetAgain_StartsFromNothingSpent()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.70m, "m", "c1");
        await store.DeleteBudgetAsync(Project, "user:1");

        BudgetState again = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        Assert.Equal(0m, again.Spent);
        Assert.Empty(again.SpendByModel);
    }

    [Theory]
    [InlineData("release")]
    [InlineData("settle")]
    [InlineData("expire")]
    public async Task EndingAReservation_OnADeletedAndRecreatedBudget_NeverGivesTheNewBudgetMoreRoomThanItsLimit(string ending)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "old", time.GetUtcNow().AddMinutes(1))).IsReserved);
        await store.DeleteBudgetAsync(Project, "user:1");
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        switch (ending)
        {
            case "release":
                await store.ReleaseAsync(Project, "old");
                break;
            case "settle":
                await store.SettleAsync(Project, "old", 0m, null);
                break;
            default:
                time.Advance(TimeSpan.FromMinutes(2));
                break;
        }

        BudgetState state = await GetExisting(store, "user:1");
        Assert.True(state.Reserved >= 0m, $"Reserved is {state.Reserved}.");
        Assert.True(state.Remaining <= state.Limit - state.Spent);
        Assert.True((await Reserve(store, time, "fill", 1m - state.Spent - state.Reserved, "user:1")).IsReserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "over", 0.01m, "user:1")).Status);
    }

    [Fact]
    public async Task ListBudgets_IsOrderedByKey_Ordinally()
    {
        var (store, _) = NewStore();
        foreach (string key in new[] { "user:2", "global", "user:10", "user:1", "Team:a" })
        {
            await store.SetBudgetAsync(Project, key, new BudgetDefinition(1m));
        }

        IReadOnlyList<BudgetState> list = await store.ListBudgetsAsync(Project);

        Assert.Equal(["Team:a", "global", "user:1", "user:10", "user:2"], list.Select(b => b.Key));
        Assert.All(list, b => Assert.Equal(Project, b.Project));
    }

    [Fact]
    public async Task ListBudgets_OfAProjectWithoutBudgets_IsEmpty()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1m));

        Assert.Empty(await store.ListBudgetsAsync(OtherProject));
    }

    [Fact]
    public async Task BudgetState_IsASnapshot_ThatDoesNotChangeWithTheStore()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.10m, "m", "c1");
        BudgetState before = await GetExisting(store, "user:1");

        await store.ChargeAsync(Project, ["user:1"], 0.20m, "m", "c2");
        await store.ChargeAsync(Project, ["user:1"], 0.20m, "n", "c3");

        Assert.Equal(0.10m, before.Spent);
        Assert.Equal(0.10m, before.SpendByModel["m"]);
        Assert.False(before.SpendByModel.ContainsKey("n"));
    }

    [Fact]
    public async Task Money_RoundTrips_Exactly_AtTheStoresScale()
    {
        var (store, _) = NewStore();
        const decimal limit = 123_456.789012345678m; // 12 places: held as it is
        const decimal cost = 0.000000012345678901m; // 18 places: held at 12
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(limit));
        await store.ChargeAsync(Project, ["user:1"], cost, "m", "c1");

        BudgetState state = await GetExisting(store, "user:1");

        Assert.Equal(limit, state.Limit);
        Assert.Equal(0.000000012346m, state.Spent);
        Assert.Equal(0.000000012346m, state.SpendByModel["m"]);
        Assert.Equal(limit - 0.000000012346m, state.Remaining);
    }

    // ---------------------------------------------------------------- projects

    [Fact]
    public async Task Projects_NeverSeeEachOthersBudgets()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(7m));
        await store.SetBudgetAsync(OtherProject, "user:2", new BudgetDefinition(7m));
        await store.ChargeAsync(Project, ["user:1"], 0.40m, null, "c1");

        Assert.Equal(1m, (await GetExisting(store, "user:1")).Limit);
        BudgetState other = await GetExisting(store, "user:1", OtherProject);
        Assert.Equal(7m, other.Limit);
        Assert.Equal(0m, other.Spent);
        Assert.Equal(OtherProject, other.Project);
        Assert.Equal(["user:1"], (await store.ListBudgetsAsync(Project)).Select(b => b.Key));
        Assert.Null(await store.GetBudgetAsync(Project, "user:2"));

        Assert.True(await store.DeleteBudgetAsync(OtherProject, "user:1"));
        Assert.NotNull(await store.GetBudgetAsync(Project, "user:1"));
        Assert.Null(await store.ResetBudgetAsync(Project, "user:2"));
        Assert.Equal(0m, (await GetExisting(store, "user:2", OtherProject)).Spent);
    }

    [Fact]
    public async Task Projects_NeverSeeEachOthersReservations()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.50m, "user:1")).IsReserved);

        Assert.Equal(0m, (await GetExisting(store, "user:1", OtherProject)).Reserved);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(OtherProject, "r1", 0.50m, null)).Status);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.ReleaseAsync(OtherProject, "r1")).Status);
        Assert.Equal(0m, (await GetExisting(store, "user:1", OtherProject)).Spent);
        Assert.Equal(0.50m, (await GetExisting(store, "user:1")).Reserved);

        // The same id is free in the other project, and holds there separately.
        Assert.True((await store.ReserveAsync(OtherProject, ["user:1"], 0.30m, "r1", time.GetUtcNow().AddHours(1))).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.10m, null)).Status);
        Assert.Equal(0.30m, (await GetExisting(store, "user:1", OtherProject)).Reserved);
        Assert.Equal(0.10m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task Projects_NeverSeeEachOthersChargeIds()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(1m));

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(OtherProject, ["user:1"], 0.20m, null, "c1")).Status);

        Assert.Equal(0.10m, (await GetExisting(store, "user:1")).Spent);
        Assert.Equal(0.20m, (await GetExisting(store, "user:1", OtherProject)).Spent);
    }

    // ---------------------------------------------------------------- reserve

    [Fact]
    public async Task Reserve_AdmitsAndHoldsTheAmount_OnEveryKey()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));

        BudgetReservationResult result = await Reserve(store, time, "r1", 0.30m, "user:1", "global");

        Assert.True(result.IsReserved);
        Assert.Equal(BudgetReservationStatus.Reserved, result.Status);
        Assert.Null(result.Key);
        Assert.Null(result.Budget);
        BudgetState user = await GetExisting(store, "user:1");
        Assert.Equal(0.30m, user.Reserved);
        Assert.Equal(0m, user.Spent);
        Assert.Equal(0.70m, user.Remaining);
        BudgetState global = await GetExisting(store, "global");
        Assert.Equal(0.30m, global.Reserved);
        Assert.Equal(9.70m, global.Remaining);
    }

    [Fact]
    public async Task Reserve_AdmitsExactlyUpToTheLimit()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.25m, null, "c1");

        Assert.True((await Reserve(store, time, "r1", 0.75m, "user:1")).IsReserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r2", 0.000001m, "user:1")).Status);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Remaining);
    }

    [Fact]
    public async Task Reserve_OnAZeroLimit_RefusesAnyCost_ButAdmitsZero()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(0m));

        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r1", 0.000001m, "user:1")).Status);
        Assert.True((await Reserve(store, time, "r2", 0m, "user:1")).IsReserved);
    }

    [Fact]
    public async Task Reserve_IsAllOrNone_AcrossKeys()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, "team:a", new BudgetDefinition(5m));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.90m, null, "c1");

        BudgetReservationResult result = await Reserve(store, time, "r1", 0.50m, "global", "team:a", "user:1");

        Assert.False(result.IsReserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, result.Status);
        Assert.Equal("user:1", result.Key);
        Assert.NotNull(result.Budget);
        Assert.Equal("user:1", result.Budget.Key);
        Assert.Equal(Project, result.Budget.Project);
        Assert.Equal(1m, result.Budget.Limit);
        Assert.Equal(0.90m, result.Budget.Spent);
        Assert.Equal(0.10m, result.Budget.Remaining);
        Assert.Equal(0m, (await GetExisting(store, "global")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "team:a")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);

        // Nothing was held under the id either: it can neither be settled nor released.
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "r1", 0.50m, null)).Status);
        Assert.Equal(0m, (await GetExisting(store, "global")).Spent);
    }

    [Fact]
    public async Task Reserve_WhenSeveralKeysRefuse_NamesTheOneWithTheLeastRemaining()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "a", new BudgetDefinition(0.20m));
        await store.SetBudgetAsync(Project, "b", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "c", new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, "d", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r0", 0.95m, "b")).IsReserved);
        await store.ChargeAsync(Project, ["d"], 0.85m, null, "c1");

        BudgetReservationResult result = await Reserve(store, time, "r1", 0.50m, "a", "b", "c", "d");

        Assert.Equal(BudgetReservationStatus.InsufficientBudget, result.Status);
        Assert.Equal("b", result.Key);
        Assert.NotNull(result.Budget);
        Assert.Equal(0.95m, result.Budget.Reserved);
        Assert.Equal(0.05m, result.Budget.Remaining);
        Assert.Equal(0.95m, (await GetExisting(store, "b")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "a")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "c")).Reserved);
    }

    [Fact]
    public async Task Reserve_WithAMissingKey_ReportsBudgetNotFound_NamingIt_AndHoldsNothing()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));

        BudgetReservationResult result = await Reserve(store, time, "r1", 0.50m, "global", "user:1", "user:404");

        Assert.False(result.IsReserved);
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, result.Status);
        Assert.Equal("user:404", result.Key);
        Assert.Equal(0m, (await GetExisting(store, "global")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Null(await store.GetBudgetAsync(Project, "user:404"));
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.ReleaseAsync(Project, "r1")).Status);
    }

    [Fact]
    public async Task Reserve_RefusedOrFailed_LeavesTheIdFree_ForTheSameReservationOnceItFits()
    {
        // The middleware asks again under the same id after creating a missing user budget or lowering the amount.
        var (store, time) = NewStore();
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, (await Reserve(store, time, "r1", 0.50m, "user:1")).Status);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r1", 1.50m, "user:1")).Status);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ReserveAsync(Project, ["user:1", null!], 0.50m, "r1", time.GetUtcNow().AddMinutes(5)));

        Assert.True((await Reserve(store, time, "r1", 0.50m, "user:1")).IsReserved);
        Assert.Equal(0.50m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.25m, null)).Status);
        Assert.Equal(0.25m, (await GetExisting(store, "user:1")).Spent);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);
    }

    [Fact]
    public async Task Reserve_WithTheIdOfAnActiveReservation_IsIdempotent()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.40m, "user:1")).IsReserved);

        BudgetReservationResult again = await Reserve(store, time, "r1", 0.40m, "user:1");

        Assert.Equal(BudgetReservationStatus.Reserved, again.Status);
        Assert.Equal(0.40m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.40m, null)).Status);
        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0.40m, state.Spent);
    }

    [Fact]
    public async Task Reserve_WithTheIdOfASettledReservation_IsAConflict_AndNeverHoldsAgain()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.40m, "user:1")).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.40m, null)).Status);

        BudgetReservationResult again = await Reserve(store, time, "r1", 0.40m, "user:1");

        Assert.Equal(BudgetReservationStatus.Conflict, again.Status);
        Assert.Equal(BudgetConflict.Settled, again.Conflict);
        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0.40m, state.Spent);

        // The refused attempt left no reservation behind: the id still reads as the settled one.
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "r1", 0.40m, null)).Status);
        Assert.Equal(BudgetConflict.Settled, (await store.ReleaseAsync(Project, "r1")).Conflict);
        Assert.Equal(0.40m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task Reserve_UnderConcurrency_NeverAdmitsMoreThanTheLimit()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1.00m));
        DateTimeOffset expiresAt = time.GetUtcNow().AddHours(1);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BudgetReservationResult>[] calls = [.. Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await store.ReserveAsync(Project, ["global"], 0.05m, $"r{i}", expiresAt);
        }))];

        go.SetResult();
        BudgetReservationResult[] results = await Task.WhenAll(calls);

        Assert.Equal(20, results.Count(r => r.IsReserved));
        Assert.All(results.Where(r => !r.IsReserved), r => Assert.Equal(BudgetReservationStatus.InsufficientBudget, r.Status));
        BudgetState state = await GetExisting(store, "global");
        Assert.Equal(1.00m, state.Reserved);
        Assert.True(state.Spent + state.Reserved <= state.Limit);
    }

    // The case that breaks check-then-charge (LiteLLM's BudgetManager admits all 64): the middleware over this store,
    // 64 calls at once against a budget for exactly 10 worst cases. Output costs $1 per million tokens and input
    // nothing, so a call's worst case is its 1,000 output tokens: $0.001, however its input is counted.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Middleware_64ParallelCalls_AgainstABudgetFor10_AdmitExactly10(bool streaming)
    {
        const int calls = 64;
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:alice", new BudgetDefinition(0.010m));
        var prices = new ModelPriceCatalog();
        prices.SetPrice("test-model", ModelPrice.PerMillionTokens(0m, 1m));
        var model = new ParallelCallsChatClient(calls);
        using var client = new BudgetingChatClient(
            model,
            store,
            new BudgetingChatClientOptions { ProjectName = Project, ReduceMaxOutputTokensToFit = false },
            prices,
            timeProvider: time);
        var options = new ChatOptions { ModelId = "test-model", MaxOutputTokens = 1_000 }.WithBudgetUser("alice");

        Task[] running = [.. Enumerable.Range(0, calls).Select(_ => Task.Run(async () =>
        {
            try
            {
                ChatResponse response = streaming
                    ? await client.GetStreamingResponseAsync("hello", options).ToChatResponseAsync()
                    : await client.GetResponseAsync("hello", options);
                Assert.Equal("ok", response.Text);
            }
            catch (BudgetExceededException)
            {
                model.Refused();
            }
        }))];
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(10, model.Admitted);
        BudgetState budget = await GetExisting(store, "user:alice");
        Assert.Equal(10 * 0.0005m, budget.Spent); // each admitted call reported 500 output tokens
        Assert.Equal(0m, budget.Reserved);
    }

    [Fact]
    public async Task Reserve_UnderConcurrency_IsAllOrNone_AcrossKeys()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1.00m));
        for (int u = 0; u < 4; u++)
        {
            await store.SetBudgetAsync(Project, $"user:{u}", new BudgetDefinition(0.30m));
        }

        DateTimeOffset expiresAt = time.GetUtcNow().AddHours(1);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BudgetReservationResult>[] calls = [.. Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await store.ReserveAsync(Project, [$"user:{i % 4}", "global"], 0.05m, $"r{i}", expiresAt);
        }))];

        go.SetResult();
        BudgetReservationResult[] results = await Task.WhenAll(calls);

        int admitted = results.Count(r => r.IsReserved);
        Assert.Equal(20, admitted);
        decimal usersReserved = 0m;
        for (int u = 0; u < 4; u++)
        {
            BudgetState user = await GetExisting(store, $"user:{u}");
            Assert.True(user.Reserved <= user.Limit, $"user:{u} holds {user.Reserved}.");
            usersReserved += user.Reserved;
        }

        BudgetState global = await GetExisting(store, "global");
        Assert.Equal(admitted * 0.05m, global.Reserved);
        Assert.Equal(global.Reserved, usersReserved);
    }

    [Fact]
    public async Task ReserveAndSettle_UnderConcurrency_NeverSpendMoreThanTheLimit()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(1.00m));
        DateTimeOffset expiresAt = time.GetUtcNow().AddHours(1);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<bool>[] calls = [.. Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await go.Task;
            BudgetReservationResult result = await store.ReserveAsync(Project, ["global"], 0.05m, $"r{i}", expiresAt);
            if (result.IsReserved)
            {
                Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, $"r{i}", 0.05m, "m")).Status);
            }

            return result.IsReserved;
        }))];

        go.SetResult();
        bool[] admitted = await Task.WhenAll(calls);

        Assert.Equal(20, admitted.Count(a => a));
        BudgetState state = await GetExisting(store, "global");
        Assert.Equal(1.00m, state.Spent);
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(1.00m, state.SpendByModel["m"]);
    }

    // ---------------------------------------------------------------- settle, release

    [Fact]
    public async Task Settle_ChargesTheActualCost_ClearsTheHold_AndRecordsSpendPerModel()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1", "global")).IsReserved);
        time.Advance(TimeSpan.FromSeconds(3));

        BudgetCompletionStatus status = (await store.SettleAsync(Project, "r1", 0.04m, "gpt-4o")).Status;

        Assert.Equal(BudgetCompletionStatus.Completed, status);
        foreach (string key in new[] { "user:1", "global" })
        {
            BudgetState state = await GetExisting(store, key);
            Assert.Equal(0.04m, state.Spent);
            Assert.Equal(0m, state.Reserved);
            Assert.Equal(0.04m, Assert.Single(state.SpendByModel, p => p.Key == "gpt-4o").Value);
            Assert.Equal(Epoch.AddSeconds(3), state.UpdatedAt);
        }
    }

    [Fact]
    public async Task Settle_MayChargeMoreThanWasHeld()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1")).IsReserved);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 1.25m, "m")).Status);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(1.25m, state.Spent);
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0m, state.Remaining);
    }

    [Fact]
    public async Task SpendByModel_AddsUpPerModel_AndIgnoresCallsWithoutModel()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(10m));
        Assert.True((await Reserve(store, time, "r1", 0.50m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r2", 0.50m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r3", 0.50m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r4", 0.50m, "user:1")).IsReserved);

        await store.SettleAsync(Project, "r1", 0.10m, "gpt-4o");
        await store.SettleAsync(Project, "r2", 0.20m, "gpt-4o");
        await store.SettleAsync(Project, "r3", 0.05m, "claude-sonnet");
        await store.SettleAsync(Project, "r4", 0.01m, null);
        await store.ChargeAsync(Project, ["user:1"], 0.30m, "claude-sonnet", "c1");

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.66m, state.Spent);
        Assert.Equal(2, state.SpendByModel.Count);
        Assert.Equal(0.30m, state.SpendByModel["gpt-4o"]);
        Assert.Equal(0.35m, state.SpendByModel["claude-sonnet"]);
    }

    [Fact]
    public async Task Settle_Twice_ChargesOnce_AndAnotherCostIsAConflict()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1")).IsReserved);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.07m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "r1", 0.07m, "m")).Status);
        BudgetCompletion other = await store.SettleAsync(Project, "r1", 0.50m, "other");
        Assert.Equal(BudgetCompletionStatus.Conflict, other.Status);
        Assert.Equal(BudgetConflict.Settled, other.Conflict);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.07m, state.Spent);
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0.07m, Assert.Single(state.SpendByModel).Value);
    }

    [Fact]
    public async Task SettleAndRelease_UnderConcurrency_EndTheReservationOnce()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1")).IsReserved);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BudgetCompletionStatus>[] calls = [.. Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return i % 2 == 0
                ? (await store.SettleAsync(Project, "r1", 0.09m, "m")).Status
                : (await store.ReleaseAsync(Project, "r1")).Status;
        }))];

        go.SetResult();
        BudgetCompletionStatus[] statuses = await Task.WhenAll(calls);

        // The first to arrive ends it; the others of its kind are retries, those of the other kind conflicts.
        Assert.Single(statuses, s => s == BudgetCompletionStatus.Completed);
        Assert.Equal(24, statuses.Count(s => s == BudgetCompletionStatus.AlreadyCompleted));
        Assert.Equal(25, statuses.Count(s => s == BudgetCompletionStatus.Conflict));
        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Reserved);
        Assert.Contains(state.Spent, new[] { 0m, 0.09m });
    }

    [Fact]
    public async Task Release_EndsTheReservation_WithoutCharging()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        Assert.True((await Reserve(store, time, "r1", 0.60m, "user:1", "global")).IsReserved);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ReleaseAsync(Project, "r1")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ReleaseAsync(Project, "r1")).Status);

        foreach (string key in new[] { "user:1", "global" })
        {
            BudgetState state = await GetExisting(store, key);
            Assert.Equal(0m, state.Spent);
            Assert.Equal(0m, state.Reserved);
            Assert.Empty(state.SpendByModel);
        }

        Assert.True((await Reserve(store, time, "r2", 1m, "user:1")).IsReserved);
    }

    [Fact]
    public async Task Release_AfterSettle_IsAConflict_AndChangesNothing()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r2", 0.10m, "user:1")).IsReserved);
        await store.SettleAsync(Project, "r1", 0.08m, null);

        BudgetCompletion release = await store.ReleaseAsync(Project, "r1");

        Assert.Equal(BudgetCompletionStatus.Conflict, release.Status);
        Assert.Equal(BudgetConflict.Settled, release.Conflict);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.08m, state.Spent);
        Assert.Equal(0.10m, state.Reserved);
    }

    [Fact]
    public async Task Settle_AfterRelease_IsAConflict_AndChangesNothing()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r2", 0.10m, "user:1")).IsReserved);
        await store.ReleaseAsync(Project, "r1");

        // The cost is not silently dropped as a success: the caller learns that this id charges nothing now.
        BudgetCompletion settle = await store.SettleAsync(Project, "r1", 0.08m, "m");
        Assert.Equal(BudgetCompletionStatus.Conflict, settle.Status);
        Assert.Equal(BudgetConflict.Released, settle.Conflict);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Spent);
        Assert.Equal(0.10m, state.Reserved);
        Assert.Empty(state.SpendByModel);
    }

    [Fact]
    public async Task SettleAndRelease_OfAnUnknownId_ReportNotFound_AndChangeNothing()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.10m, "user:1")).IsReserved);

        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "nope", 0.50m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.ReleaseAsync(Project, "nope")).Status);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync("empty-project", "r1", 0.50m, "m")).Status);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Spent);
        Assert.Equal(0.10m, state.Reserved);
    }

    [Fact]
    public async Task Settle_ManyTinyCosts_AddsUpExactly()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        for (int i = 0; i < 1000; i++)
        {
            Assert.True((await Reserve(store, time, $"r{i}", 0.000001m, "user:1")).IsReserved);
            Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, $"r{i}", 0.000001m, "m")).Status);
        }

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.001m, state.Spent);
        Assert.Equal(0.001m, state.SpendByModel["m"]);
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0.999m, state.Remaining);
    }

    // ---------------------------------------------------------------- expiry and retention

    [Fact]
    public async Task Reservation_IsHeldUntilItExpires_ThenReclaimed()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(5))).IsReserved);

        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0.60m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r2", 0.60m, "user:1")).Status);

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0m, state.Spent);
        Assert.True((await Reserve(store, time, "r3", 0.60m, "user:1")).IsReserved);
    }

    [Fact]
    public async Task ExpiredReservation_IsReclaimed_WhenTheNextReservationIsMade()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(5))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(6));

        Assert.True((await Reserve(store, time, "r2", 1m, "user:1")).IsReserved);
    }

    [Fact]
    public async Task Settle_OfAReclaimedReservation_ChargesTheActualCostOnce()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddMinutes(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True((await Reserve(store, time, "r2", 0.80m, "user:1")).IsReserved);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.30m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "r1", 0.30m, "m")).Status);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.30m, state.Spent);
        Assert.Equal(0.30m, state.SpendByModel["m"]);
        Assert.Equal(0.80m, state.Reserved); // r2's hold only: r1's was not taken back a second time
    }

    [Fact]
    public async Task Settle_LongAfterExpiry_WithinRetention_StillCharges()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddMinutes(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.20m, null)).Status);
        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task Release_OfAReclaimedReservation_ChargesNothing_AndDoesNotUnholdTwice()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddMinutes(1))).IsReserved);
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.30m, "r2", Epoch.AddHours(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.NotEqual(BudgetCompletionStatus.NotFound, (await store.ReleaseAsync(Project, "r1")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ReleaseAsync(Project, "r1")).Status);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0m, state.Spent);
        Assert.Equal(0.30m, state.Reserved);
    }

    [Theory]
    [InlineData("settle")]
    [InlineData("release")]
    public async Task CompletedIds_AreRememberedForTheRetention_ThenForgotten(string completion)
    {
        var (store, time) = NewStore(new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromHours(1) });
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.10m, "r1", Epoch.AddDays(7))).IsReserved);
        BudgetCompletionStatus first = completion == "settle"
            ? (await store.SettleAsync(Project, "r1", 0.10m, null)).Status
            : (await store.ReleaseAsync(Project, "r1")).Status;
        Assert.Equal(BudgetCompletionStatus.Completed, first);
        decimal spent = (await GetExisting(store, "user:1")).Spent;

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        BudgetCompletion retry = completion == "settle" ? await store.SettleAsync(Project, "r1", 0.10m, null) : await store.ReleaseAsync(Project, "r1");
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, retry.Status);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "r1", 0.10m, null)).Status);
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.ReleaseAsync(Project, "r1")).Status);
        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(spent, state.Spent);
        Assert.Equal(0m, state.Reserved);
    }

    [Fact]
    public async Task AReclaimedReservationSettledLater_IsRemembered_ForAFullRetentionAfterTheSettle()
    {
        var (store, time) = NewStore(new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromHours(1) });
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.10m, "r1", Epoch.AddMinutes(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(30)); // reclaimed at one minute: forgotten at 1 h 1 min unless settled
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.05m, null)).Status);

        time.Advance(TimeSpan.FromMinutes(59)); // past the reclaimed id's own time, within the settle's
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.SettleAsync(Project, "r1", 0.05m, null)).Status);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "r1", 0.05m, null)).Status);
        Assert.Equal(0.05m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task ChargeIds_AreRememberedForTheRetention_ThenForgotten()
    {
        var (store, time) = NewStore(new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromHours(1) });
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "c1")).Status);

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.Conflict, (await store.ChargeAsync(Project, ["user:1"], 0.20m, null, "c1")).Status);
        Assert.Equal(0.10m, (await GetExisting(store, "user:1")).Spent);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "c1")).Status);
        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Spent);
    }

    // ---------------------------------------------------------------- renewal

    [Fact]
    public async Task Renew_KeepsTheHold_PastTheFirstExpiry_UntilTheNewOne()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(5))).IsReserved);

        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(BudgetRenewalStatus.Renewed, await store.RenewAsync(Project, "r1", time.GetUtcNow().AddMinutes(5)));
        time.Advance(TimeSpan.FromMinutes(4)); // past the first expiry, before the new one

        Assert.Equal(0.60m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r2", 0.60m, "user:1")).Status);

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);
        Assert.True((await Reserve(store, time, "r3", 0.60m, "user:1")).IsReserved);
    }

    [Fact]
    public async Task Renew_NeverMovesTheExpiryEarlier_AndIsIdempotent()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(30))).IsReserved);

        Assert.Equal(BudgetRenewalStatus.Renewed, await store.RenewAsync(Project, "r1", Epoch.AddMinutes(10)));
        Assert.Equal(BudgetRenewalStatus.Renewed, await store.RenewAsync(Project, "r1", Epoch.AddMinutes(10)));
        time.Advance(TimeSpan.FromMinutes(20));

        Assert.Equal(0.60m, (await GetExisting(store, "user:1")).Reserved);
    }

    [Fact]
    public async Task Renew_OfAnExpiredReservation_ReportsExpired_HoldsNothing_AndASettleStillCharges()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(BudgetRenewalStatus.Expired, await store.RenewAsync(Project, "r1", time.GetUtcNow().AddMinutes(10)));
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.25m, null)).Status);
        Assert.Equal(0.25m, (await GetExisting(store, "user:1")).Spent);
    }

    [Theory]
    [InlineData("settle")]
    [InlineData("release")]
    [InlineData("charge")]
    public async Task Renew_OfAnEndedId_ReportsEnded_AndChangesNothing(string ending)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        if (ending == "charge")
        {
            await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "r1");
        }
        else
        {
            Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(5))).IsReserved);
            _ = ending == "settle" ? await store.SettleAsync(Project, "r1", 0.10m, null) : await store.ReleaseAsync(Project, "r1");
        }

        BudgetState before = await GetExisting(store, "user:1");
        Assert.Equal(BudgetRenewalStatus.Ended, await store.RenewAsync(Project, "r1", time.GetUtcNow().AddMinutes(10)));

        BudgetState after = await GetExisting(store, "user:1");
        Assert.Equal(before.Spent, after.Spent);
        Assert.Equal(0m, after.Reserved);
    }

    [Fact]
    public async Task Renew_OfAnUnknownId_OrAnotherProjectsId_ReportsNotFound()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(OtherProject, ["user:1"], 0.60m, "r1", Epoch.AddMinutes(5))).IsReserved);

        Assert.Equal(BudgetRenewalStatus.NotFound, await store.RenewAsync(Project, "r1", time.GetUtcNow().AddMinutes(10)));
        Assert.Equal(BudgetRenewalStatus.NotFound, await store.RenewAsync(Project, "never-made", time.GetUtcNow().AddMinutes(10)));
    }

    [Fact]
    public async Task Renew_RefusesABlankId_NamingIt()
    {
        var (store, _) = NewStore();

        Assert.Equal("reservationId", (await Assert.ThrowsAnyAsync<ArgumentException>(() => store.RenewAsync(Project, " ", Epoch.AddMinutes(1)).AsTask())).ParamName);
        Assert.Equal("project", (await Assert.ThrowsAnyAsync<ArgumentException>(() => store.RenewAsync("", "r1", Epoch.AddMinutes(1)).AsTask())).ParamName);
    }

    [Fact]
    public async Task Sweep_ReclaimsExpiredReservations()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.50m, "r1", Epoch.AddMinutes(1))).IsReserved);
        Assert.True((await store.ReserveAsync(OtherProject, ["user:1"], 0.50m, "r1", Epoch.AddMinutes(1))).IsReserved);
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.20m, "r2", Epoch.AddHours(1))).IsReserved);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(0, await store.SweepAsync());

        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "user:1", OtherProject)).Reserved);
    }

    // ---------------------------------------------------------------- ids: retries and conflicts

    [Fact]
    public async Task Reserve_AgainWithTheSameAmountAndKeys_IsARetry_AndHoldsOnce()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));

        Assert.True((await Reserve(store, time, "r1", 0.40m, "user:1", "global")).IsReserved);
        Assert.True((await Reserve(store, time, "r1", 0.40m, "user:1", "global")).IsReserved);

        Assert.Equal(0.40m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(0.40m, (await GetExisting(store, "global")).Reserved);
    }

    [Theory]
    [InlineData("another amount")]
    [InlineData("another key")]
    [InlineData("fewer keys")]
    [InlineData("keys in another order")]
    public async Task Reserve_AgainWithOtherParameters_IsAConflict_AndHoldsNothingNew(string change)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        Assert.True((await Reserve(store, time, "r1", 0.40m, "user:1", "global")).IsReserved);

        BudgetReservationResult again = change switch
        {
            "another amount" => await Reserve(store, time, "r1", 0.90m, "user:1", "global"),
            "another key" => await Reserve(store, time, "r1", 0.40m, "user:2", "global"),
            "fewer keys" => await Reserve(store, time, "r1", 0.40m, "user:1"),
            _ => await Reserve(store, time, "r1", 0.40m, "global", "user:1"),
        };

        Assert.Equal(BudgetReservationStatus.Conflict, again.Status);
        Assert.Equal(BudgetConflict.Reserved, again.Conflict);
        Assert.False(again.IsReserved);
        Assert.Equal(0.40m, (await GetExisting(store, "user:1")).Reserved);
        Assert.Equal(0m, (await GetExisting(store, "user:2")).Reserved);
        Assert.Equal(0.40m, (await GetExisting(store, "global")).Reserved);

        // The first reservation is untouched: it settles as made.
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.30m, null)).Status);
        Assert.Equal(0.30m, (await GetExisting(store, "global")).Spent);
    }

    [Theory]
    [InlineData("released", BudgetConflict.Released)]
    [InlineData("charged", BudgetConflict.Charged)]
    [InlineData("expired", BudgetConflict.Expired)]
    public async Task Reserve_WithAnIdThatIsNotActive_IsAConflict_AndHoldsNothing(string use, BudgetConflict expected)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        if (use == "charged")
        {
            await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "r1");
        }
        else
        {
            Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.40m, "r1", time.GetUtcNow().AddMinutes(1))).IsReserved);
            if (use == "released")
            {
                await store.ReleaseAsync(Project, "r1");
            }
            else
            {
                time.Advance(TimeSpan.FromMinutes(2));
            }
        }

        BudgetReservationResult again = await store.ReserveAsync(Project, ["user:1"], 0.40m, "r1", time.GetUtcNow().AddMinutes(5));

        Assert.Equal(BudgetReservationStatus.Conflict, again.Status);
        Assert.Equal(expected, again.Conflict);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);
    }

    [Theory]
    [InlineData("active", BudgetConflict.Reserved)]
    [InlineData("expired", BudgetConflict.Expired)]
    [InlineData("settled", BudgetConflict.Settled)]
    [InlineData("released", BudgetConflict.Released)]
    public async Task Charge_WithTheIdOfAReservation_IsAConflict_AndChargesNothing(string state, BudgetConflict expected)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.40m, "r1", time.GetUtcNow().AddMinutes(1))).IsReserved);
        switch (state)
        {
            case "expired":
                time.Advance(TimeSpan.FromMinutes(2));
                break;
            case "settled":
                await store.SettleAsync(Project, "r1", 0.40m, null);
                break;
            case "released":
                await store.ReleaseAsync(Project, "r1");
                break;
        }

        decimal spentBefore = (await GetExisting(store, "user:1")).Spent;
        BudgetCompletion charge = await store.ChargeAsync(Project, ["user:1"], 0.40m, null, "r1");

        Assert.Equal(BudgetCompletionStatus.Conflict, charge.Status);
        Assert.Equal(expected, charge.Conflict);
        Assert.Empty(charge.Alerts);
        Assert.Equal(spentBefore, (await GetExisting(store, "user:1")).Spent);
    }

    [Theory]
    [InlineData("another amount")]
    [InlineData("another key")]
    public async Task Charge_AgainWithOtherParameters_IsAConflict_AndChargesNothing(string change)
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(1m));
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.20m, "m", "c1")).Status);

        BudgetCompletion again = change == "another amount"
            ? await store.ChargeAsync(Project, ["user:1"], 0.25m, "m", "c1")
            : await store.ChargeAsync(Project, ["user:2"], 0.20m, "m", "c1");

        Assert.Equal(BudgetCompletionStatus.Conflict, again.Status);
        Assert.Equal(BudgetConflict.Charged, again.Conflict);
        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Spent);
        Assert.Equal(0m, (await GetExisting(store, "user:2")).Spent);
    }

    [Fact]
    public async Task SettleOrRelease_OfAChargesId_IsAConflict_AndChangesNothing()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.20m, "m", "c1");

        BudgetCompletion settle = await store.SettleAsync(Project, "c1", 0.50m, "m");
        BudgetCompletion release = await store.ReleaseAsync(Project, "c1");

        Assert.Equal((BudgetCompletionStatus.Conflict, BudgetConflict.Charged), (settle.Status, settle.Conflict));
        Assert.Equal((BudgetCompletionStatus.Conflict, BudgetConflict.Charged), (release.Status, release.Conflict));
        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Spent);
    }

    // ---------------------------------------------------------------- amounts

    [Fact]
    public async Task Amounts_AreHeldAtTheStoresScale_SoReservedComesBackToExactlyZero()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(100m));

        // 10 + 1e-28 is not exactly representable in decimal's 28 digits: without a fixed scale the release of both
        // leaves -1e-28 reserved for ever.
        Assert.True((await Reserve(store, time, "r1", 10m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r2", 0.0000000000000000000000000001m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r3", 0.0000000000004m, "user:1")).IsReserved);
        Assert.True((await Reserve(store, time, "r4", 1.0000000000005m, "user:1")).IsReserved);
        Assert.Equal(11m, (await GetExisting(store, "user:1")).Reserved);
        foreach (string id in new[] { "r2", "r1", "r4", "r3" })
        {
            await store.ReleaseAsync(Project, id);
        }

        Assert.Equal(0m, (await GetExisting(store, "user:1")).Reserved);
    }

    [Fact]
    public async Task Amounts_NegativeZeroIsZero_AndCostsAreChargedAtTheStoresScale()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(-0m));
        await store.SetBudgetAsync(Project, "user:2", new BudgetDefinition(1m));

        Assert.Equal(0m, (await GetExisting(store, "user:1")).Limit);
        Assert.True((await Reserve(store, time, "r1", -0m, "user:1")).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", -0m, "m")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:2"], 0.1234567890123456m, "m", "c1")).Status);

        BudgetState zero = await GetExisting(store, "user:1");
        Assert.False(decimal.IsNegative(zero.Spent));
        Assert.False(decimal.IsNegative(zero.Limit));
        Assert.Equal(0.123456789012m, (await GetExisting(store, "user:2")).Spent);
    }

    // ---------------------------------------------------------------- charge

    [Fact]
    public async Task Charge_ChargesEveryKey_EvenPastTheLimit()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1", "global"], 1.50m, "gpt-4o", "c1")).Status);

        BudgetState user = await GetExisting(store, "user:1");
        Assert.Equal(1.50m, user.Spent);
        Assert.Equal(0m, user.Remaining);
        Assert.Equal(1.50m, user.SpendByModel["gpt-4o"]);
        Assert.Equal(1.50m, (await GetExisting(store, "global")).Spent);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r1", 0.01m, "user:1")).Status);
    }

    [Fact]
    public async Task Charge_IsIdempotentById()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.20m, "m", "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await store.ChargeAsync(Project, ["user:1"], 0.20m, "m", "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.20m, "m", "c2")).Status);

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.40m, state.Spent);
        Assert.Equal(0.40m, state.SpendByModel["m"]);
    }

    [Fact]
    public async Task Charge_UnderConcurrency_WithOneId_ChargesOnce()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BudgetCompletionStatus>[] calls = [.. Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            await go.Task;
            return (await store.ChargeAsync(Project, ["user:1"], 0.20m, null, "c1")).Status;
        }))];

        go.SetResult();
        BudgetCompletionStatus[] statuses = await Task.WhenAll(calls);

        Assert.Single(statuses, s => s == BudgetCompletionStatus.Completed);
        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task Charge_WithAMissingKey_Throws_AndChargesNothing()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));

        BudgetNotFoundException ex = await Assert.ThrowsAsync<BudgetNotFoundException>(
            () => store.ChargeAsync(Project, ["global", "user:404", "user:1"], 0.50m, "m", "c1").AsTask());

        Assert.Equal("user:404", ex.Key);
        Assert.Equal(0m, (await GetExisting(store, "global")).Spent);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Spent);
        Assert.Empty((await GetExisting(store, "global")).SpendByModel);
    }

    [Fact]
    public async Task Charge_WithAMissingKey_DoesNotUseUpTheId()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m));
        await Assert.ThrowsAsync<BudgetNotFoundException>(() => store.ChargeAsync(Project, ["global", "user:1"], 0.50m, null, "c1").AsTask());
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["global", "user:1"], 0.50m, null, "c1")).Status);
        Assert.Equal(0.50m, (await GetExisting(store, "global")).Spent);
        Assert.Equal(0.50m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task Charge_DoesNotTouchHolds()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r1", 0.30m, "user:1")).IsReserved);

        await store.ChargeAsync(Project, ["user:1"], 0.20m, null, "c1");

        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.20m, state.Spent);
        Assert.Equal(0.30m, state.Reserved);
        Assert.Equal(0.50m, state.Remaining);
    }

    // ---------------------------------------------------------------- periods

    [Theory]
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Calendar, "2026-03-10T00:00Z", "2026-03-11T00:00Z", "2026-03-12T00:00Z")]
    [InlineData(BudgetPeriod.Weekly, BudgetWindowAlignment.Calendar, "2026-03-09T00:00Z", "2026-03-16T00:00Z", "2026-03-23T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "2026-03-01T00:00Z", "2026-04-01T00:00Z", "2026-05-01T00:00Z")]
    [InlineData(BudgetPeriod.Yearly, BudgetWindowAlignment.Calendar, "2026-01-01T00:00Z", "2027-01-01T00:00Z", "2028-01-01T00:00Z")]
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Rolling, "2026-03-10T12:00Z", "2026-03-11T12:00Z", "2026-03-12T12:00Z")]
    [InlineData(BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling, "2026-03-10T12:00Z", "2026-03-17T12:00Z", "2026-03-24T12:00Z")]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling, "2026-03-10T12:00Z", "2026-04-10T12:00Z", "2026-05-10T12:00Z")]
    [InlineData(BudgetPeriod.Yearly, BudgetWindowAlignment.Rolling, "2026-03-10T12:00Z", "2027-03-10T12:00Z", "2028-03-10T12:00Z")]
    public async Task PeriodicBudget_RollsOverLazily_WhenItsWindowEnds(BudgetPeriod period, BudgetWindowAlignment alignment, string start, string end, string nextEnd)
    {
        var (store, time) = NewStore();
        var definition = new BudgetDefinition(1m, period, alignment);
        BudgetState created = await store.SetBudgetAsync(Project, "user:1", definition);
        Assert.Equal(At(start), created.WindowStart);
        Assert.Equal(At(end), created.WindowEnd);
        await store.ChargeAsync(Project, ["user:1"], 0.40m, "gpt-4o", "c1");

        time.SetUtcNow(At(end).AddSeconds(-1));
        BudgetState before = await GetExisting(store, "user:1");
        Assert.Equal(0.40m, before.Spent);
        Assert.Equal(At(start), before.WindowStart);

        time.SetUtcNow(At(end));
        BudgetState after = await GetExisting(store, "user:1");
        Assert.Equal(0m, after.Spent);
        Assert.Empty(after.SpendByModel);
        Assert.Equal(1m, after.Remaining);
        Assert.Equal(At(end), after.WindowStart);
        Assert.Equal(At(nextEnd), after.WindowEnd);
        Assert.Equal(definition, after.Definition);
        Assert.Equal(Epoch, after.CreatedAt);
    }

    [Theory]
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Calendar, "2026-03-13T00:00Z", "2026-03-14T00:00Z")]
    [InlineData(BudgetPeriod.Daily, BudgetWindowAlignment.Rolling, "2026-03-13T12:00Z", "2026-03-14T12:00Z")]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, "2026-06-01T00:00Z", "2026-07-01T00:00Z")]
    [InlineData(BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling, "2026-06-10T12:00Z", "2026-07-10T12:00Z")]
    public async Task PeriodicBudget_LeftUntouchedForSeveralWindows_LandsInTheCurrentWindow(BudgetPeriod period, BudgetWindowAlignment alignment, string start, string end)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, period, alignment));
        await store.ChargeAsync(Project, ["user:1"], 0.40m, null, "c1");

        time.SetUtcNow(At(start).AddHours(5));
        BudgetState state = await GetExisting(store, "user:1");

        Assert.Equal(0m, state.Spent);
        Assert.Equal(At(start), state.WindowStart);
        Assert.Equal(At(end), state.WindowEnd);
    }

    [Fact]
    public async Task Rollover_KeepsActiveReservations_AndChargesLandInTheNewWindow()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.ChargeAsync(Project, ["user:1"], 0.50m, null, "c1");
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.40m, "r1", Epoch.AddDays(2))).IsReserved);

        time.SetUtcNow(At("2026-03-11T00:00:01Z"));
        BudgetState rolled = await GetExisting(store, "user:1");
        Assert.Equal(0m, rolled.Spent);
        Assert.Equal(0.40m, rolled.Reserved);

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync(Project, "r1", 0.30m, null)).Status);
        BudgetState settled = await GetExisting(store, "user:1");
        Assert.Equal(0.30m, settled.Spent);
        Assert.Equal(0m, settled.Reserved);
    }

    [Theory]
    [InlineData("reserve")]
    [InlineData("charge")]
    [InlineData("list")]
    [InlineData("set")]
    public async Task Rollover_HappensWhenTheBudgetIsTouched_ByAnyOperation(string operation)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.ChargeAsync(Project, ["user:1"], 1m, null, "c1");
        time.SetUtcNow(At("2026-03-11T08:00Z"));

        BudgetState state;
        switch (operation)
        {
            case "reserve":
                Assert.True((await Reserve(store, time, "r1", 1m, "user:1")).IsReserved);
                state = await GetExisting(store, "user:1");
                Assert.Equal(1m, state.Reserved);
                break;
            case "charge":
                await store.ChargeAsync(Project, ["user:1"], 0.10m, null, "c2");
                state = await GetExisting(store, "user:1");
                Assert.Equal(0.10m, state.Spent);
                break;
            case "list":
                state = Assert.Single(await store.ListBudgetsAsync(Project));
                Assert.Equal(0m, state.Spent);
                break;
            default:
                state = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(2m, BudgetPeriod.Daily));
                Assert.Equal(0m, state.Spent);
                break;
        }

        Assert.Equal(At("2026-03-11T00:00Z"), state.WindowStart);
    }

    [Fact]
    public async Task BudgetWithoutPeriod_NeverRollsOver()
    {
        var (store, time) = NewStore();
        BudgetState created = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await store.ChargeAsync(Project, ["user:1"], 0.40m, null, "c1");

        time.Advance(TimeSpan.FromDays(800));

        Assert.Equal(0, await store.SweepAsync());
        BudgetState state = await GetExisting(store, "user:1");
        Assert.Equal(0.40m, state.Spent);
        Assert.Equal(Epoch, created.WindowStart);
        Assert.Equal(Epoch, state.WindowStart);
        Assert.Null(state.WindowEnd);
    }

    [Fact]
    public async Task RollingBudget_CountsFromTheLastReset()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling));
        time.SetUtcNow(At("2026-03-10T18:00Z"));

        BudgetState reset = (await store.ResetBudgetAsync(Project, "user:1"))!;
        Assert.Equal(At("2026-03-10T18:00Z"), reset.WindowStart);
        Assert.Equal(At("2026-03-11T18:00Z"), reset.WindowEnd);
        await store.ChargeAsync(Project, ["user:1"], 0.20m, null, "c1");

        time.SetUtcNow(At("2026-03-11T12:00Z")); // the window before the reset would have ended here
        Assert.Equal(0.20m, (await GetExisting(store, "user:1")).Spent);

        time.SetUtcNow(At("2026-03-11T18:00Z"));
        BudgetState rolled = await GetExisting(store, "user:1");
        Assert.Equal(0m, rolled.Spent);
        Assert.Equal(At("2026-03-11T18:00Z"), rolled.WindowStart);
        Assert.Equal(At("2026-03-12T18:00Z"), rolled.WindowEnd);
    }

    [Fact]
    public async Task ResetBudget_ZeroesSpend_AndKeepsLimitAndHolds()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Monthly));
        await store.ChargeAsync(Project, ["user:1"], 0.70m, "m", "c1");
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 0.10m, "r1", Epoch.AddDays(1))).IsReserved);
        time.Advance(TimeSpan.FromHours(3));

        BudgetState? reset = await store.ResetBudgetAsync(Project, "user:1");

        Assert.NotNull(reset);
        Assert.Equal(0m, reset.Spent);
        Assert.Empty(reset.SpendByModel);
        Assert.Equal(1m, reset.Limit);
        Assert.Equal(0.10m, reset.Reserved);
        Assert.Equal(At("2026-03-01T00:00Z"), reset.WindowStart); // a calendar window stays the calendar's
        Assert.Equal(At("2026-04-01T00:00Z"), reset.WindowEnd);
        Assert.Equal(Epoch.AddHours(3), reset.UpdatedAt);
        Assert.Equal(0m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task ResetBudget_OfAMissingKey_ReturnsNull()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        Assert.Null(await store.ResetBudgetAsync(Project, "user:2"));
        Assert.Null(await store.ResetBudgetAsync(OtherProject, "user:1"));
        Assert.Null(await store.GetBudgetAsync(Project, "user:2"));
    }

    [Fact]
    public async Task Sweep_RollsOverEndedWindows_InAllProjects_AndCountsThem()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "daily", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.SetBudgetAsync(Project, "rolling", new BudgetDefinition(1m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling));
        await store.SetBudgetAsync(Project, "monthly", new BudgetDefinition(1m, BudgetPeriod.Monthly));
        await store.SetBudgetAsync(Project, "forever", new BudgetDefinition(1m));
        await store.SetBudgetAsync(OtherProject, "daily", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.ChargeAsync(Project, ["daily", "rolling", "monthly", "forever"], 0.30m, null, "c1");
        await store.ChargeAsync(OtherProject, ["daily"], 0.30m, null, "c1");

        Assert.Equal(0, await store.SweepAsync());

        time.SetUtcNow(At("2026-03-11T13:00Z"));
        Assert.Equal(3, await store.SweepAsync());
        Assert.Equal(0, await store.SweepAsync());

        Assert.Equal(0m, (await GetExisting(store, "daily")).Spent);
        Assert.Equal(0m, (await GetExisting(store, "rolling")).Spent);
        Assert.Equal(0m, (await GetExisting(store, "daily", OtherProject)).Spent);
        Assert.Equal(0.30m, (await GetExisting(store, "monthly")).Spent);
        Assert.Equal(0.30m, (await GetExisting(store, "forever")).Spent);
        Assert.Equal(At("2026-03-11T00:00Z"), (await GetExisting(store, "daily")).WindowStart);
    }

    [Theory]
    [InlineData(BudgetPeriod.Daily, "2026-03-10T12:00Z", "2026-03-09T23:00Z", "2026-03-10T23:00Z")]
    [InlineData(BudgetPeriod.Daily, "2026-03-29T12:00Z", "2026-03-28T23:00Z", "2026-03-29T22:00Z")] // 23 h: clocks go forward
    [InlineData(BudgetPeriod.Daily, "2026-10-25T12:00Z", "2026-10-24T22:00Z", "2026-10-25T23:00Z")] // 25 h: clocks go back
    [InlineData(BudgetPeriod.Weekly, "2026-03-28T12:00Z", "2026-03-22T23:00Z", "2026-03-29T22:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-03-10T12:00Z", "2026-02-28T23:00Z", "2026-03-31T22:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-02-28T23:30Z", "2026-02-28T23:00Z", "2026-03-31T22:00Z")] // already March in Berlin
    [InlineData(BudgetPeriod.Yearly, "2026-12-31T23:30Z", "2026-12-31T23:00Z", "2027-12-31T23:00Z")] // already 2027 in Berlin
    public async Task CalendarWindows_FollowTheConfiguredTimeZone(BudgetPeriod period, string now, string start, string end)
    {
        var options = new BudgetStoreOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") };
        var (store, _) = NewStore(options, At(now));

        BudgetState created = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, period));

        Assert.Equal(At(start), created.WindowStart);
        Assert.Equal(At(end), created.WindowEnd);
    }

    [Fact]
    public async Task CalendarWindows_RollOverAtMidnightOfTheConfiguredTimeZone()
    {
        var options = new BudgetStoreOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") };
        var (store, time) = NewStore(options);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await store.ChargeAsync(Project, ["user:1"], 0.40m, null, "c1");

        time.SetUtcNow(At("2026-03-10T22:59:59Z"));
        Assert.Equal(0.40m, (await GetExisting(store, "user:1")).Spent);

        time.SetUtcNow(At("2026-03-10T23:00Z")); // midnight in Berlin, an hour before midnight UTC
        BudgetState rolled = await GetExisting(store, "user:1");
        Assert.Equal(0m, rolled.Spent);
        Assert.Equal(At("2026-03-10T23:00Z"), rolled.WindowStart);
        Assert.Equal(At("2026-03-11T23:00Z"), rolled.WindowEnd);
    }

    // ---------------------------------------------------------------- arguments

    private static readonly Dictionary<string, (string Param, Func<IBudgetStore, DateTimeOffset, Task> Call)> InvalidCalls = new()
    {
        ["Get: null project"] = ("project", (s, _) => s.GetBudgetAsync(null!, "a").AsTask()),
        ["Get: empty project"] = ("project", (s, _) => s.GetBudgetAsync("", "a").AsTask()),
        ["Get: blank project"] = ("project", (s, _) => s.GetBudgetAsync("  ", "a").AsTask()),
        ["Get: null key"] = ("key", (s, _) => s.GetBudgetAsync(Project, null!).AsTask()),
        ["Get: empty key"] = ("key", (s, _) => s.GetBudgetAsync(Project, "").AsTask()),
        ["Set: null project"] = ("project", (s, _) => s.SetBudgetAsync(null!, "c", new BudgetDefinition(1m)).AsTask()),
        ["Set: empty project"] = ("project", (s, _) => s.SetBudgetAsync("", "c", new BudgetDefinition(1m)).AsTask()),
        ["Set: null key"] = ("key", (s, _) => s.SetBudgetAsync(Project, null!, new BudgetDefinition(1m)).AsTask()),
        ["Set: empty key"] = ("key", (s, _) => s.SetBudgetAsync(Project, "", new BudgetDefinition(1m)).AsTask()),
        ["Set: blank key"] = ("key", (s, _) => s.SetBudgetAsync(Project, " ", new BudgetDefinition(1m)).AsTask()),
        ["Set: null definition"] = ("definition", (s, _) => s.SetBudgetAsync(Project, "a", null!).AsTask()),
        ["GetOrCreate: empty project"] = ("project", (s, _) => s.GetOrCreateBudgetAsync("", "c", new BudgetDefinition(1m)).AsTask()),
        ["GetOrCreate: empty key"] = ("key", (s, _) => s.GetOrCreateBudgetAsync(Project, "", new BudgetDefinition(1m)).AsTask()),
        ["GetOrCreate: null definition"] = ("definition", (s, _) => s.GetOrCreateBudgetAsync(Project, "c", null!).AsTask()),
        ["GetOrCreate: null definition, empty key"] = ("key", (s, _) => s.GetOrCreateBudgetAsync(Project, "", null!).AsTask()),
        ["Set: null definition, empty project"] = ("project", (s, _) => s.SetBudgetAsync("", "a", null!).AsTask()),
        ["Delete: empty project"] = ("project", (s, _) => s.DeleteBudgetAsync("", "a").AsTask()),
        ["Delete: empty key"] = ("key", (s, _) => s.DeleteBudgetAsync(Project, "").AsTask()),
        ["List: null project"] = ("project", (s, _) => s.ListBudgetsAsync(null!).AsTask()),
        ["List: empty project"] = ("project", (s, _) => s.ListBudgetsAsync("").AsTask()),
        ["List: blank project"] = ("project", (s, _) => s.ListBudgetsAsync(" ").AsTask()),
        ["Reserve: empty project"] = ("project", (s, e) => s.ReserveAsync("", ["a"], 0.1m, "r9", e).AsTask()),
        ["Reserve: null keys"] = ("keys", (s, e) => s.ReserveAsync(Project, null!, 0.1m, "r9", e).AsTask()),
        ["Reserve: no keys"] = ("keys", (s, e) => s.ReserveAsync(Project, [], 0.1m, "r9", e).AsTask()),
        ["Reserve: empty key"] = ("keys", (s, e) => s.ReserveAsync(Project, ["a", ""], 0.1m, "r9", e).AsTask()),
        ["Reserve: null key"] = ("keys", (s, e) => s.ReserveAsync(Project, ["b", null!], 0.1m, "r9", e).AsTask()),
        ["Reserve: duplicate keys"] = ("keys", (s, e) => s.ReserveAsync(Project, ["a", "b", "a"], 0.1m, "r9", e).AsTask()),
        ["Reserve: negative amount"] = ("amount", (s, e) => s.ReserveAsync(Project, ["a", "b"], -0.01m, "r9", e).AsTask()),
        ["Reserve: amount above the most a store holds"] = ("amount", (s, e) => s.ReserveAsync(Project, ["a"], BudgetAmounts.Max + 0.01m, "r9", e).AsTask()),
        ["Reserve: null id"] = ("reservationId", (s, e) => s.ReserveAsync(Project, ["a", "b"], 0.1m, null!, e).AsTask()),
        ["Reserve: empty id"] = ("reservationId", (s, e) => s.ReserveAsync(Project, ["a", "b"], 0.1m, "", e).AsTask()),
        ["Reserve: blank id"] = ("reservationId", (s, e) => s.ReserveAsync(Project, ["a", "b"], 0.1m, " ", e).AsTask()),
        ["Reserve: negative amount before empty id"] = ("amount", (s, e) => s.ReserveAsync(Project, ["a"], -0.01m, "", e).AsTask()),
        ["Reserve: bad keys before empty id"] = ("keys", (s, e) => s.ReserveAsync(Project, [], 0.1m, "", e).AsTask()),
        ["Settle: empty project"] = ("project", (s, _) => s.SettleAsync("", "r", 0.1m, null).AsTask()),
        ["Settle: null id"] = ("reservationId", (s, _) => s.SettleAsync(Project, null!, 0.1m, null).AsTask()),
        ["Settle: empty id"] = ("reservationId", (s, _) => s.SettleAsync(Project, "", 0.1m, null).AsTask()),
        ["Settle: blank id"] = ("reservationId", (s, _) => s.SettleAsync(Project, " ", 0.1m, null).AsTask()),
        ["Settle: negative cost"] = ("actualCost", (s, _) => s.SettleAsync(Project, "r", -0.01m, "m").AsTask()),
        ["Settle: cost above the most a store holds"] = ("actualCost", (s, _) => s.SettleAsync(Project, "r", decimal.MaxValue, "m").AsTask()),
        ["Settle: negative cost, empty project"] = ("project", (s, _) => s.SettleAsync("", "r", -0.01m, null).AsTask()),
        ["Settle: negative cost, empty id"] = ("reservationId", (s, _) => s.SettleAsync(Project, "", -0.01m, null).AsTask()),
        ["Release: empty project"] = ("project", (s, _) => s.ReleaseAsync("", "r").AsTask()),
        ["Release: empty id"] = ("reservationId", (s, _) => s.ReleaseAsync(Project, "").AsTask()),
        ["Release: null id"] = ("reservationId", (s, _) => s.ReleaseAsync(Project, null!).AsTask()),
        ["Release: blank id"] = ("reservationId", (s, _) => s.ReleaseAsync(Project, " ").AsTask()),
        ["Charge: empty project"] = ("project", (s, _) => s.ChargeAsync("", ["a"], 0.1m, null, "c9").AsTask()),
        ["Charge: null keys"] = ("keys", (s, _) => s.ChargeAsync(Project, null!, 0.1m, null, "c9").AsTask()),
        ["Charge: no keys"] = ("keys", (s, _) => s.ChargeAsync(Project, [], 0.1m, null, "c9").AsTask()),
        ["Charge: duplicate keys"] = ("keys", (s, _) => s.ChargeAsync(Project, ["a", "a"], 0.1m, null, "c9").AsTask()),
        ["Charge: negative amount"] = ("amount", (s, _) => s.ChargeAsync(Project, ["a"], -0.01m, null, "c9").AsTask()),
        ["Charge: amount above the most a store holds"] = ("amount", (s, _) => s.ChargeAsync(Project, ["a"], BudgetAmounts.Max * 2, null, "c9").AsTask()),
        ["Charge: empty id"] = ("chargeId", (s, _) => s.ChargeAsync(Project, ["a"], 0.1m, null, "").AsTask()),
        ["Charge: null id"] = ("chargeId", (s, _) => s.ChargeAsync(Project, ["a"], 0.1m, null, null!).AsTask()),
        ["Charge: blank id"] = ("chargeId", (s, _) => s.ChargeAsync(Project, ["a"], 0.1m, null, " ").AsTask()),
        ["Charge: negative amount before empty id"] = ("amount", (s, _) => s.ChargeAsync(Project, ["a"], -0.01m, null, "").AsTask()),
        ["Reset: empty project"] = ("project", (s, _) => s.ResetBudgetAsync("", "a").AsTask()),
        ["Reset: empty key"] = ("key", (s, _) => s.ResetBudgetAsync(Project, "").AsTask()),
    };

    public static TheoryData<string> InvalidCallNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in InvalidCalls.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidCallNames))]
    public async Task InvalidArgument_ThrowsNamingTheParameter_AndChangesNothing(string call)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "a", new BudgetDefinition(1m));
        await store.SetBudgetAsync(Project, "b", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r", 0.10m, "a")).IsReserved);
        (string param, Func<IBudgetStore, DateTimeOffset, Task> invoke) = InvalidCalls[call];

        ArgumentException ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => invoke(store, time.GetUtcNow().AddHours(1)));

        Assert.Equal(param, ex.ParamName);
        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(Project);
        Assert.Equal(["a", "b"], budgets.Select(b => b.Key));
        Assert.Equal(0.10m, budgets[0].Reserved);
        Assert.Equal(0m, budgets[1].Reserved);
        Assert.All(budgets, b => Assert.Equal(0m, b.Spent));
        Assert.All(budgets, b => Assert.Equal(1m, b.Limit));
    }

    [Theory]
    [InlineData("set")]
    [InlineData("reserve")]
    [InlineData("settle")]
    [InlineData("charge")]
    public async Task CanceledToken_Throws_AndChangesNothing(string operation)
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "a", new BudgetDefinition(1m));
        Assert.True((await Reserve(store, time, "r", 0.10m, "a")).IsReserved);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        Func<Task> call = operation switch
        {
            "set" => () => store.SetBudgetAsync(Project, "a", new BudgetDefinition(5m), cancellationToken: cts.Token).AsTask(),
            "reserve" => () => store.ReserveAsync(Project, ["a"], 0.10m, "r2", Epoch.AddHours(1), cts.Token).AsTask(),
            "settle" => () => store.SettleAsync(Project, "r", 0.10m, null, cts.Token).AsTask(),
            _ => () => store.ChargeAsync(Project, ["a"], 0.10m, null, "c1", cts.Token).AsTask(),
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(call);

        BudgetState state = await GetExisting(store, "a");
        Assert.Equal(1m, state.Limit);
        Assert.Equal(0m, state.Spent);
        Assert.Equal(0.10m, state.Reserved);
    }

    // ---------------------------------------------------------------- alerts and creation time

    [Fact]
    public async Task Alerts_AreReportedOncePerThresholdPerWindow_ByTheChargeThatCrossesThem()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily, alertThresholds: [1.0m, 0.5m]));

        Assert.Empty((await store.ChargeAsync(Project, ["user:1"], 0.4m, null, "c1")).Alerts);
        BudgetAlert half = Assert.Single((await store.ChargeAsync(Project, ["user:1"], 0.2m, null, "c2")).Alerts);
        Assert.Empty((await store.ChargeAsync(Project, ["user:1"], 0.1m, null, "c3")).Alerts);
        BudgetAlert full = Assert.Single((await store.ChargeAsync(Project, ["user:1"], 0.5m, null, "c4")).Alerts);
        Assert.Empty((await store.ChargeAsync(Project, ["user:1"], 0.5m, null, "c5")).Alerts);

        // At the day's rate so far ($0.60 in the 12 hours since midnight), the remaining $0.40 lasts 8 more hours.
        Assert.Equal(new BudgetAlert(Project, "user:1", 0.5m, 0.6m, 1m, Epoch.Date.AsUtcInstant(), Epoch.Date.AddDays(1).AsUtcInstant(), "daily") { RunsOutAt = Epoch.Date.AddHours(20).AsUtcInstant() }, half);
        Assert.Equal(1.0m, full.Threshold);
        Assert.Equal(1.2m, full.Spent);

        time.Advance(TimeSpan.FromDays(1));
        BudgetAlert nextDay = Assert.Single((await store.ChargeAsync(Project, ["user:1"], 0.7m, null, "c6")).Alerts);
        Assert.Equal(0.5m, nextDay.Threshold);
        Assert.Equal(Epoch.Date.AddDays(1).AsUtcInstant(), nextDay.WindowStart);
    }

    [Fact]
    public async Task Alerts_FromASettlement_NameEveryKeyAndEveryThresholdCrossed()
    {
        var (store, time) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, alertThresholds: [0.5m, 0.8m]));
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(10m, alertThresholds: [0.05m]));
        await store.SetBudgetAsync(Project, "team:x", new BudgetDefinition(10m));
        Assert.True((await Reserve(store, time, "r1", 0.5m, "user:1", "global", "team:x")).IsReserved);

        BudgetCompletion completion = await store.SettleAsync(Project, "r1", 0.9m, "m");

        Assert.Equal(BudgetCompletionStatus.Completed, completion.Status);
        Assert.Equal(
            [("user:1", 0.5m), ("user:1", 0.8m), ("global", 0.05m)],
            completion.Alerts.Select(a => (a.Key, a.Threshold)));
        Assert.Empty((await store.SettleAsync(Project, "r1", 0.9m, "m")).Alerts);
    }

    [Fact]
    public async Task Alerts_StartAgain_AfterAReset()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, alertThresholds: [0.5m]));
        Assert.Single((await store.ChargeAsync(Project, ["user:1"], 0.6m, null, "c1")).Alerts);

        await store.ResetBudgetAsync(Project, "user:1");

        Assert.Single((await store.ChargeAsync(Project, ["user:1"], 0.6m, null, "c2")).Alerts);
    }

    [Fact]
    public async Task SetBudget_WithCreatedAt_CountsRollingWindowsFromThere()
    {
        var (store, _) = NewStore();
        DateTimeOffset created = Epoch.AddDays(-40).AddHours(-3);

        BudgetState state = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), created);

        Assert.Equal(created, state.CreatedAt);
        Assert.Equal(created.AddMonths(1), state.WindowStart);
        Assert.Equal(created.AddMonths(2), state.WindowEnd);
    }

    [Fact]
    public async Task SetBudget_WithCreatedAt_OnAnExistingBudget_MovesItsWindowsAndKeepsSpend()
    {
        var (store, _) = NewStore();
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling));
        await store.ChargeAsync(Project, ["user:1"], 0.3m, null, "c1");
        DateTimeOffset anchor = Epoch.AddHours(-30);

        BudgetState state = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(2m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling), anchor);

        Assert.Equal(Epoch, state.CreatedAt);
        Assert.Equal(anchor.AddDays(1), state.WindowStart);
        Assert.Equal(0.3m, state.Spent);
        Assert.Equal(2m, state.Limit);
    }
}

// The model of Middleware_64ParallelCalls...: an admitted call waits until every call is admitted or refused, so no
// settlement frees money for a later call, then answers with 500 output tokens.
internal sealed class ParallelCallsChatClient(int calls) : IChatClient
{
    private readonly TaskCompletionSource _allDecided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _admitted;
    private int _decided;

    public int Admitted => Volatile.Read(ref _admitted);

    public void Refused() => Decide();

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await AdmittedAsync(cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = options?.ModelId, Usage = Usage() };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await AdmittedAsync(cancellationToken);
        yield return new ChatResponseUpdate(ChatRole.Assistant, "ok") { ModelId = options?.ModelId };
        yield return new ChatResponseUpdate(null, [new UsageContent(Usage())]) { ModelId = options?.ModelId };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static UsageDetails Usage() => new() { InputTokenCount = 10, OutputTokenCount = 500, TotalTokenCount = 510 };

    private async Task AdmittedAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _admitted);
        Decide();
        await _allDecided.Task.WaitAsync(cancellationToken);
    }

    private void Decide()
    {
        if (Interlocked.Increment(ref _decided) == calls)
        {
            _allDecided.SetResult();
        }
    }
}

internal static class DateTimeExtensions
{
    /// <summary>Midnight of a UTC date as an instant.</summary>
    public static DateTimeOffset AsUtcInstant(this DateTime date) => new(DateTime.SpecifyKind(date, DateTimeKind.Utc));
}
