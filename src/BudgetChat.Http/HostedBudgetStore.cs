using System.Text.Json;
using BudgetChat.Http.Wire;
using BudgetChat.Stores;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat.Http;

/// <summary>
/// An <see cref="IBudgetStore"/> kept by a BudgetChat budget service (<c>BudgetChat.Server</c>) over HTTP, so every
/// instance of an app shares the same budgets: LiteLLM's "hosted" budget client, made atomic.
/// </summary>
/// <remarks>
/// <para>
/// Each operation is one request to the service's <c>/v1</c> API, which applies it to its own store: reservations are
/// atomic across keys on the server, and settle, release and charge are idempotent by id, so a request retried after a
/// lost response (the <c>AddHostedBudgetStore</c> registration retries) charges once.
/// </para>
/// <para>
/// When the service cannot be reached the store throws <see cref="BudgetStoreUnavailableException"/>, and a
/// <see cref="BudgetingChatClient"/> fails closed on it unless told to fail open. A refused API key throws
/// <see cref="UnauthorizedAccessException"/>; a request the service rejects throws <see cref="ArgumentException"/>.
/// </para>
/// <para>
/// Its spend ledger (<see cref="IBudgetSpendLog"/>) is the service's: a settle or charge sends the call's details
/// (<see cref="BudgetUsage.Record"/>) with it, so the service writes the record in the same transaction as the charge;
/// refusals and releases are appended with <c>POST .../spend</c>, and records are read with <c>GET .../spend</c>. A
/// service whose store keeps no ledger answers 501, which the store throws as <see cref="NotSupportedException"/>.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
public sealed partial class HostedBudgetStore : IBudgetStore, IBudgetSpendLog, IDisposable
{
    // A cancelled reserve may still reach the service after the first release: released again a little later.
    private static readonly TimeSpan[] ReleaseRetryDelays = [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];

    private readonly BudgetServiceProtocol _protocol;
    private readonly HybridCache? _cache;
    private readonly HybridCacheEntryOptions? _cacheEntry;
    private readonly string _cachePrefix;
    private readonly ILogger _logger;
    private IDisposable? _owned;

    /// <summary>Initializes a new instance of the <see cref="HostedBudgetStore"/> class.</summary>
    /// <param name="httpClient">
    /// The client to send requests with. Timeouts and retries are its handlers' business: <c>AddHostedBudgetStore</c>
    /// registers one with a resilience pipeline.
    /// </param>
    /// <param name="options">The options; they are copied.</param>
    /// <param name="cache">Caches budget definitions when <see cref="HostedBudgetStoreOptions.DefinitionCacheDuration"/> is positive, or <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the logger, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public HostedBudgetStore(HttpClient httpClient, HostedBudgetStoreOptions options, HybridCache? cache = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        HostedBudgetStoreOptions copy = options.Clone();
        copy.Validate();

        var connection = new BudgetServiceConnection(httpClient, copy);
        _protocol = new BudgetServiceProtocol(connection);
        if (cache is not null && copy.DefinitionCacheDuration > TimeSpan.Zero)
        {
            _cache = cache;
            _cacheEntry = new HybridCacheEntryOptions { Expiration = copy.DefinitionCacheDuration, LocalCacheExpiration = copy.DefinitionCacheDuration };
        }

        _cachePrefix = $"budgetchat:{connection.BaseAddress}:";
        _logger = (ILogger?)loggerFactory?.CreateLogger<HostedBudgetStore>() ?? NullLogger.Instance;
        BaseAddress = connection.BaseAddress;
    }

    /// <summary>Gets the budget service's address.</summary>
    public Uri BaseAddress { get; }


    /// <summary>
    /// Creates a store for the budget service at <paramref name="apiBase"/> with the default timeouts and retries, and the
    /// API key from the <c>BUDGETCHAT_API_KEY</c> environment variable when it is set.
    /// </summary>
    /// <param name="apiBase">The service's address.</param>
    /// <returns>The store; dispose it to release its HTTP resources.</returns>
    /// <exception cref="ArgumentException"><paramref name="apiBase"/> is not an absolute http or https address.</exception>
    public static IBudgetStore Create(Uri apiBase)
    {
        ArgumentNullException.ThrowIfNull(apiBase);
        string? key = Environment.GetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable);
        return Create(new HostedBudgetStoreOptions { BaseAddress = apiBase, ApiKey = string.IsNullOrWhiteSpace(key) ? null : key });
    }

    /// <summary>
    /// Creates a store with its own <see cref="HttpClient"/> and resilience pipeline, as <c>AddHostedBudgetStore</c>
    /// registers one, for code without a service container. <c>BudgetManager</c>'s hosted client type calls this.
    /// </summary>
    /// <param name="options">The options; they are copied, and the environment is not read.</param>
    /// <returns>The store; dispose it to release its HTTP resources.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static IBudgetStore Create(HostedBudgetStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        HostedBudgetStoreOptions copy = options.Clone();
        copy.Validate(); // an ArgumentException here, rather than an OptionsValidationException from the container
        var services = new ServiceCollection();
        services.AddHostedBudgetStore(copy.CopyTo);

        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            var store = (HostedBudgetStore)provider.GetRequiredService<IBudgetStore>();
            store._owned = provider;
            return store;
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        return _protocol.GetBudgetAsync(project, key, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        BudgetState budget = await _protocol.SetBudgetAsync(project, key, definition, createdAt, cancellationToken).ConfigureAwait(false);
        await ForgetAsync(project, key).ConfigureAwait(false);
        return budget;
    }

    /// <inheritdoc/>
    /// <remarks>With a definition cache, a budget already seen is answered from the cache (its spend may be stale).</remarks>
    public async ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        if (_cache is null)
        {
            return await _protocol.GetOrCreateBudgetAsync(project, key, definition, cancellationToken).ConfigureAwait(false);
        }

        string json = await _cache.GetOrCreateAsync(
            CacheKey(project, key),
            (Store: _protocol, project, key, definition),
            static async (state, ct) => JsonSerializer.Serialize(
                BudgetDto.From(await state.Store.GetOrCreateBudgetAsync(state.project, state.key, state.definition, ct).ConfigureAwait(false)),
                WireJsonContext.Default.BudgetDto),
            _cacheEntry,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize(json, WireJsonContext.Default.BudgetDto)!.ToState();
    }

    /// <inheritdoc/>
    public async ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        bool deleted = await _protocol.DeleteBudgetAsync(project, key, cancellationToken).ConfigureAwait(false);
        await ForgetAsync(project, key).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        return _protocol.ListBudgetsAsync(project, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// When <paramref name="cancellationToken"/> cancels the request in flight, the service may still have made (or may
    /// yet make) the reservation, which would hold its money until it expires: the store then releases the id in the
    /// background, and tries again for a few seconds while the service does not know it yet.
    /// </remarks>
    public async ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Reserve(project, keys, amount, reservationId);
        try
        {
            return await _protocol.ReserveAsync(project, keys, amount, reservationId, expiresAt, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = ReleaseCancelledAsync(project, reservationId);
            throw;
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Settle(project, reservationId, actualCost);
        return _protocol.SettleAsync(project, reservationId, actualCost, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Release(project, reservationId);
        return _protocol.ReleaseAsync(project, reservationId, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Renew(project, reservationId);
        return _protocol.RenewAsync(project, reservationId, expiresAt, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Charge(project, keys, amount, chargeId);
        return _protocol.ChargeAsync(project, keys, amount, chargeId, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        BudgetState? budget = await _protocol.ResetBudgetAsync(project, key, cancellationToken).ConfigureAwait(false);
        await ForgetAsync(project, key).ConfigureAwait(false);
        return budget;
    }

    /// <inheritdoc/>
    /// <remarks>The service sweeps every project it keeps (its own reset service also does on a timer).</remarks>
    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => _protocol.SweepAsync(cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// Retried like the other writes after a lost response, so a record may, rarely, be appended twice: it costs nothing,
    /// so the spend its records add up to is the same.
    /// </remarks>
    /// <exception cref="NotSupportedException">The service's store keeps no spend ledger.</exception>
    public ValueTask AppendSpendAsync(string project, BudgetSpendRecord record, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.SpendRecord(project, record);
        return _protocol.AppendSpendAsync(project, record, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The service's store keeps no spend ledger.</exception>
    public ValueTask<BudgetSpendPage> QuerySpendAsync(string project, BudgetSpendQuery query, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return _protocol.QuerySpendAsync(project, query, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The service's store keeps no spend ledger.</exception>
    public ValueTask<IReadOnlyList<BudgetSpendGroup>> GroupSpendAsync(string project, BudgetSpendQuery query, BudgetSpendGrouping grouping, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)grouping, (uint)BudgetSpendGrouping.Outcome, nameof(grouping));
        return _protocol.GroupSpendAsync(project, query, grouping, cancellationToken);
    }

    /// <summary>Not supported: the budget service deletes its own old records (<c>BudgetServer:ResetService:SpendRetention</c>).</summary>
    /// <param name="before">The time records must be at or after to stay.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Never returns.</returns>
    /// <exception cref="NotSupportedException">Always: a key of one project must not delete the records of all of them.</exception>
    public ValueTask<long> PruneSpendAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(
            $"The budget service at {BaseAddress} keeps its spend records for its own retention (BudgetServer:ResetService:SpendRetention) and deletes older ones itself; a client cannot prune them.");

    /// <summary>Releases the store's resources, and the HTTP resources of a store made by <c>Create</c>; an <see cref="HttpClient"/> passed in is left to its owner.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _owned, null)?.Dispose();
    }

    private string CacheKey(string project, string key) => string.Concat(_cachePrefix, project, ":", key);

    private async ValueTask ForgetAsync(string project, string key)
    {
        if (_cache is null)
        {
            return;
        }

        try
        {
            await _cache.RemoveAsync(CacheKey(project, key), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.CacheRemoveFailed(_logger, project, key, ex);
        }
    }

    // Best effort and idempotent: the id is unique to the cancelled call, so releasing it can only give back its own hold.
    private async Task ReleaseCancelledAsync(string project, string reservationId)
    {
        foreach (TimeSpan wait in ReleaseRetryDelays)
        {
            await Task.Delay(wait).ConfigureAwait(false);
            try
            {
                BudgetCompletion released = await _protocol.ReleaseAsync(project, reservationId, CancellationToken.None).ConfigureAwait(false);
                if (released.Status != BudgetCompletionStatus.NotFound)
                {
                    Log.CancelledReserveReleased(_logger, project, reservationId);
                    return;
                }
            }
            catch (Exception ex) when (ex is BudgetStoreUnavailableException or HttpRequestException or OperationCanceledException)
            {
                Log.CancelledReserveReleaseFailed(_logger, project, reservationId, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Debug, "Released reservation {ReservationId} in project '{Project}', whose reserve was cancelled in flight.")]
        public static partial void CancelledReserveReleased(ILogger logger, string project, string reservationId);

        [LoggerMessage(3, LogLevel.Debug, "Could not release reservation {ReservationId} in project '{Project}', whose reserve was cancelled in flight; trying again, and it expires on its own.")]
        public static partial void CancelledReserveReleaseFailed(ILogger logger, string project, string reservationId, Exception exception);

        [LoggerMessage(1, LogLevel.Warning, "Could not drop the cached definition of budget '{Key}' in project '{Project}'; it expires on its own.")]
        public static partial void CacheRemoveFailed(ILogger logger, string project, string key, Exception exception);
    }
}
