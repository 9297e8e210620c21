using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>What the middleware does when its store cannot be reached: fail closed by default, fail open when asked.</summary>
public sealed class StoreFailureTests : BudgetingChatClientFixture
{
    public static TheoryData<bool> Streaming => new() { false, true };

    private readonly OutageStore _outage;

    public StoreFailureTests()
    {
        _outage = new OutageStore(Store);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task FailsClosed_ByDefault_WithoutCallingTheModel(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(_outage);
        _outage.Down = true;

        var ex = await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
        Assert.Contains("model was not called", ex.Message, StringComparison.Ordinal);
        Assert.IsType<BudgetStoreUnavailableException>(ex.InnerException);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task FailsClosed_WhenTheGlobalBudgetCannotBeSet(bool streaming)
    {
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(_outage, o => o.MaxBudget = 5m);
        _outage.Down = true;

        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(() => CallAsync(client, streaming));

        Assert.Equal(0, InnerCalls);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task FailsOpen_WhenAsked_CallsTheModel_AndChargesOnceTheStoreIsBack(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2), _ => _outage.Down = false); // the store comes back while the model runs
        using var client = CreateClient(_outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);
        _outage.Down = true;

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("Hi", response.Text);
        Assert.Equal(1, InnerCalls);
        Assert.Equal(Cost(10, 2), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task FailsOpen_ReturnsTheAnswer_WhenTheStoreStaysDown(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m));
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(_outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);
        _outage.Down = true;

        ChatResponse response = await CallAsync(client, streaming, ForUser("alice"));

        Assert.Equal("Hi", response.Text);
        _outage.Down = false;
        Assert.Equal(0m, (await UserBudgetAsync("alice")).Spent);
    }

    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task FailOpen_StillRefuses_WhenTheStoreAnswersThatTheBudgetIsSpent(bool streaming)
    {
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(0.001m));
        Answer("Hi", Usage(10, 2));
        using var client = CreateClient(_outage, o => o.StoreFailureMode = BudgetStoreFailureMode.FailOpen);

        await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(client, streaming, ForUser("alice")));

        Assert.Equal(0, InnerCalls);
    }

    [Fact]
    public void Options_RejectAnUnknownFailureMode()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CreateClient(_outage, o => o.StoreFailureMode = (BudgetStoreFailureMode)7));
        Assert.Equal(nameof(BudgetingChatClientOptions.StoreFailureMode), ex.ParamName);
    }

    private BudgetingChatClient CreateClient(IBudgetStore store, Action<BudgetingChatClientOptions>? configure = null)
    {
        var options = new BudgetingChatClientOptions();
        configure?.Invoke(options);
        return new BudgetingChatClient(Inner, store, options, Prices, Estimator, timeProvider: Time);
    }

    /// <summary>A store that forwards to a real one, or throws as an unreachable budget service does while <see cref="Down"/>.</summary>
    private sealed class OutageStore(IBudgetStore inner) : IBudgetStore
    {
        private volatile bool _down;

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        public ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default) =>
            Up().GetBudgetAsync(project, key, cancellationToken);

        public ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default) =>
            Up().SetBudgetAsync(project, key, definition, createdAt, cancellationToken);

        public ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default) =>
            Up().GetOrCreateBudgetAsync(project, key, definition, cancellationToken);

        public ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default) =>
            Up().DeleteBudgetAsync(project, key, cancellationToken);

        public ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default) =>
            Up().ListBudgetsAsync(project, cancellationToken);

        public ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, decimal amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            Up().ReserveAsync(project, keys, amount, reservationId, expiresAt, cancellationToken);

        public ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, decimal actualCost, string? model, CancellationToken cancellationToken = default) =>
            Up().SettleAsync(project, reservationId, actualCost, model, cancellationToken);

        public ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default) =>
            Up().ReleaseAsync(project, reservationId, cancellationToken);

        public ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, decimal amount, string? model, string chargeId, CancellationToken cancellationToken = default) =>
            Up().ChargeAsync(project, keys, amount, model, chargeId, cancellationToken);

        public ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default) =>
            Up().ResetBudgetAsync(project, key, cancellationToken);

        public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => Up().SweepAsync(cancellationToken);

        private IBudgetStore Up() => _down ? throw new BudgetStoreUnavailableException("The budget service at http://127.0.0.1:9 cannot be reached.") : inner;
    }
}
