using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat;

/// <summary>
/// Costs that were incurred but could not be recorded (the store was down when a call settled), sent again in the
/// background, with the same id, until the store takes them: a model's answer that was paid for is never lost.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="BudgetingChatClient"/> hands its failed settles and charges to an outbox (the one <c>AddBudgetChat</c>
/// registers, or one of its own). Every retry uses the entry's id, so the store's idempotency (the store contract)
/// makes a retry whose first attempt did reach the store change nothing. A settle the store no longer knows (it lost
/// or forgot the reservation) is charged to the reservation's keys instead, under the same id.
/// </para>
/// <para>
/// Retries start after <see cref="BudgetOutboxOptions.RetryDelay"/> and back off to <see cref="BudgetOutboxOptions.MaxRetryDelay"/>
/// while the store stays unreachable. The outbox holds at most <see cref="BudgetOutboxOptions.MaxEntries"/>; with an
/// <see cref="IBudgetOutboxStorage"/> its entries also survive a restart (call <see cref="StartAsync"/> to load them).
/// Metrics (meter <c>BudgetChat</c>): <c>budgetchat.outbox.depth</c>, <c>budgetchat.outbox.age</c> (seconds since the
/// oldest entry failed) and <c>budgetchat.outbox.dropped</c>. This type is thread-safe.
/// </para>
/// </remarks>
public sealed partial class BudgetOutbox : IDisposable, IAsyncDisposable
{
    private readonly IBudgetStore _store;
    private readonly BudgetOutboxOptions _options;
    private readonly IBudgetOutboxStorage? _storage;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly BudgetChatMetrics _metrics;
    private readonly Counter<long> _dropped;
    private readonly BudgetAlertPublisher _alerts;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Project, string Id), BudgetOutboxEntry> _entries = [];
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private TimeSpan _delay;
    private bool _scheduled;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="BudgetOutbox"/> class.</summary>
    /// <param name="store">The store the entries are sent to.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults. They are read once.</param>
    /// <param name="storage">Keeps the entries through a restart, or <see langword="null"/> to keep them in memory only.</param>
    /// <param name="loggerFactory">Creates the logger, or <see langword="null"/> for no logging.</param>
    /// <param name="timeProvider">The clock of the retries, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="meterFactory">Creates the <c>BudgetChat</c> meter, or <see langword="null"/> to create it directly.</param>
    /// <param name="alertSinks">Receive the budget alerts a late charge raises, or <see langword="null"/> to log them.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public BudgetOutbox(
        IBudgetStore store,
        BudgetOutboxOptions? options = null,
        IBudgetOutboxStorage? storage = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        IEnumerable<IBudgetAlertSink>? alertSinks = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new BudgetOutboxOptions();
        options.Validate();
        _store = store;
        _options = new BudgetOutboxOptions
        {
            MaxEntries = options.MaxEntries,
            RetryDelay = options.RetryDelay,
            MaxRetryDelay = options.MaxRetryDelay,
            DrainTimeout = options.DrainTimeout,
        };
        _storage = storage;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)loggerFactory?.CreateLogger<BudgetOutbox>() ?? NullLogger.Instance;
        _alerts = new BudgetAlertPublisher(
            alertSinks ?? [new LoggingBudgetAlertSink(loggerFactory?.CreateLogger<LoggingBudgetAlertSink>())],
            _logger);
        _delay = _options.RetryDelay;
        _timer = _timeProvider.CreateTimer(static state => ((BudgetOutbox)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        _metrics = new BudgetChatMetrics(meterFactory);
        _dropped = _metrics.Meter.CreateCounter<long>("budgetchat.outbox.dropped", "{entry}", "Incurred costs lost because the outbox was full.");
        _metrics.Meter.CreateObservableUpDownCounter("budgetchat.outbox.depth", () => Count, "{entry}", "Incurred costs waiting in the outbox for the store.");
        _metrics.Meter.CreateObservableGauge("budgetchat.outbox.age", OldestAgeSeconds, "s", "Time since the oldest entry of the outbox first failed; 0 when it is empty.");
    }

    /// <summary>Gets the store the entries are sent to.</summary>
    internal IBudgetStore Store => _store;

    /// <summary>Gets how many entries wait for the store.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Gets the entries that wait for the store, oldest first.</summary>
    /// <returns>A copy of the entries.</returns>
    public IReadOnlyList<BudgetOutboxEntry> GetEntries()
    {
        lock (_gate)
        {
            return [.. _entries.Values.OrderBy(static e => e.QueuedAt)];
        }
    }

    /// <summary>Loads the entries a previous process left in the storage, and retries them soon.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the entries are loaded.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_storage is null)
        {
            return;
        }

        IReadOnlyList<BudgetOutboxEntry> saved = await _storage.LoadAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (BudgetOutboxEntry entry in saved)
            {
                _entries.TryAdd((entry.Project, entry.Id), entry);
            }
        }

        if (saved.Count > 0)
        {
            LogLoaded(_logger, saved.Count, saved.Sum(static e => e.Cost));
            Schedule(TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Keeps an incurred cost until the store takes it. An entry whose project and id are already kept is a repeat and
    /// changes nothing.
    /// </summary>
    /// <param name="entry">The cost.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// <see langword="true"/> when the outbox keeps the entry; <see langword="false"/> when it is full and the cost is
    /// lost (logged as an error and counted by <c>budgetchat.outbox.dropped</c>).
    /// </returns>
    /// <exception cref="ObjectDisposedException">The outbox has been disposed.</exception>
    public async ValueTask<bool> AddAsync(BudgetOutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.ContainsKey((entry.Project, entry.Id)))
            {
                return true;
            }

            if (_entries.Count >= _options.MaxEntries)
            {
                _dropped.Add(1);
                LogDropped(_logger, entry.Operation, entry.Id, entry.Project, entry.Cost, _options.MaxEntries);
                return false;
            }

            _entries.Add((entry.Project, entry.Id), entry);
        }

        LogQueued(_logger, entry.Operation, entry.Id, entry.Project, entry.Cost);
        if (_storage is not null)
        {
            try
            {
                await _storage.SaveAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Kept in memory all the same: only a restart before the store is back would lose it.
                LogSaveFailed(_logger, entry.Id, ex);
            }
        }

        Schedule(null);
        return true;
    }

    /// <summary>Sends every entry to the store once, now, stopping at the first that cannot reach it.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many entries still wait.</returns>
    public async Task<int> RetryAsync(CancellationToken cancellationToken = default)
    {
        await PassAsync(cancellationToken).ConfigureAwait(false);
        return Count;
    }

    /// <summary>
    /// Retries until the outbox is empty or <paramref name="timeout"/> has passed: what a host's shutdown does
    /// (<see cref="BudgetOutboxOptions.DrainTimeout"/>).
    /// </summary>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; cancelling ends the drain early.</param>
    /// <returns><see langword="true"/> when the outbox is empty.</returns>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        using var timer = new CancellationTokenSource(timeout, _timeProvider);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        TimeSpan delay = _options.RetryDelay;
        try
        {
            while (!await PassAsync(limit.Token).ConfigureAwait(false))
            {
                await Task.Delay(delay, _timeProvider, limit.Token).ConfigureAwait(false);
                delay = Min(delay * 2, _options.MaxRetryDelay);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            // Out of time: what is left stays in the storage, if any.
        }

        // Without a storage, what is left is lost when the outbox is disposed, which logs it.
        int left = Count;
        if (left > 0 && _storage is not null)
        {
            LogLeftSaved(_logger, left, GetEntries().Sum(static e => e.Cost));
        }

        return left == 0;
    }

    /// <summary>Stops the retries. Entries still waiting stay in the storage, if there is one; call <see cref="DrainAsync"/> first to send them.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        int left = Count;
        if (left > 0 && _storage is null)
        {
            LogLeftLost(_logger, left, GetEntries().Sum(static e => e.Cost));
        }

        _stopping.Cancel();
        _timer.Dispose();
        _metrics.Dispose();
    }

    /// <summary>Stops the retries, as <see cref="Dispose"/> does.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private double OldestAgeSeconds()
    {
        DateTimeOffset? oldest = null;
        lock (_gate)
        {
            foreach (BudgetOutboxEntry entry in _entries.Values)
            {
                if (oldest is null || entry.QueuedAt < oldest)
                {
                    oldest = entry.QueuedAt;
                }
            }
        }

        return oldest is { } at ? Math.Max(0, (_timeProvider.GetUtcNow() - at).TotalSeconds) : 0;
    }

    // Arms the timer unless it is armed: after `due`, or after the current back-off.
    private void Schedule(TimeSpan? due)
    {
        lock (_gate)
        {
            if (_disposed || (_scheduled && due is null))
            {
                return;
            }

            _scheduled = true;
            _timer.Change(due ?? _delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer() => _ = RunScheduledPassAsync();

    private async Task RunScheduledPassAsync()
    {
        bool reached;
        try
        {
            reached = await PassAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex)
        {
            // Not expected (each entry's failure is handled in the pass); the outbox keeps retrying all the same.
            LogStillUnreachable(_logger, Count, ex);
            reached = false;
        }

        lock (_gate)
        {
            _scheduled = false;
            _delay = reached ? _options.RetryDelay : Min(_delay * 2, _options.MaxRetryDelay);
            if (_entries.Count == 0 || _disposed)
            {
                return;
            }
        }

        Schedule(null);
    }

    // One pass over the entries, oldest first. Returns true when the outbox was emptied, false when the store could
    // not be reached (the rest waits for the next pass).
    private async Task<bool> PassAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (BudgetOutboxEntry entry in GetEntries())
            {
                BudgetCompletion completion;
                try
                {
                    completion = await SendAsync(entry, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (ArgumentException ex)
                {
                    // The store refuses the entry itself (it will never take it): keeping it would block nothing but
                    // would be retried forever.
                    LogRejected(_logger, entry.Operation, entry.Id, entry.Project, entry.Cost, ex.Message);
                    await RemoveAsync(entry).ConfigureAwait(false);
                    continue;
                }
                catch (Exception ex)
                {
                    LogStillUnreachable(_logger, Count, ex);
                    return false;
                }

                if (completion.Status is BudgetCompletionStatus.Completed or BudgetCompletionStatus.AlreadyCompleted)
                {
                    LogRecorded(_logger, entry.Operation, entry.Id, entry.Project, entry.Cost, _timeProvider.GetUtcNow() - entry.QueuedAt);
                    _metrics.Spend.Add((double)entry.Cost, new("budgetchat.model", entry.Model ?? string.Empty), new("budgetchat.project", entry.Project));
                    await _alerts.PublishAsync(completion.Alerts).ConfigureAwait(false);
                }
                else
                {
                    LogRejected(_logger, entry.Operation, entry.Id, entry.Project, entry.Cost, completion.Status == BudgetCompletionStatus.Conflict
                        ? $"the id {completion.Conflict}"
                        : "a budget it names does not exist");
                }

                await RemoveAsync(entry).ConfigureAwait(false);
            }

            return Count == 0;
        }
        finally
        {
            _pass.Release();
        }
    }

    private async ValueTask<BudgetCompletion> SendAsync(BudgetOutboxEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Operation == BudgetOutboxOperation.Settle)
        {
            BudgetCompletion settled = await _store.SettleAsync(entry.Project, entry.Id, entry.Usage, cancellationToken).ConfigureAwait(false);
            if (settled.Status != BudgetCompletionStatus.NotFound)
            {
                return settled;
            }

            // The store lost or forgot the reservation (an in-memory store restarted, the id's retention passed): the
            // cost is still owed, so it is charged to the same keys under the same id.
            LogSettleNotFound(_logger, entry.Id, entry.Project);
        }

        return await _store.ChargeAsync(entry.Project, entry.Keys, entry.Usage, entry.Id, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask RemoveAsync(BudgetOutboxEntry entry)
    {
        lock (_gate)
        {
            _entries.Remove((entry.Project, entry.Id));
        }

        if (_storage is null)
        {
            return;
        }

        try
        {
            await _storage.RemoveAsync(entry.Project, entry.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Left in the storage, it is sent again after a restart, where the store answers it as a repeat.
            LogRemoveFailed(_logger, entry.Id, ex);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "The store could not record {Operation} {Id} of project '{Project}' for ${Cost}; it is kept in the outbox and retried with the same id.")]
    private static partial void LogQueued(ILogger logger, BudgetOutboxOperation operation, string id, string project, decimal cost);

    [LoggerMessage(2, LogLevel.Information, "The outbox recorded {Operation} {Id} of project '{Project}' for ${Cost}, {Delay} after it first failed.")]
    private static partial void LogRecorded(ILogger logger, BudgetOutboxOperation operation, string id, string project, decimal cost, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Error, "The outbox is full ({MaxEntries} entries): {Operation} {Id} of project '{Project}' for ${Cost} is lost. Raise BudgetOutboxOptions.MaxEntries or bring the store back.")]
    private static partial void LogDropped(ILogger logger, BudgetOutboxOperation operation, string id, string project, decimal cost, int maxEntries);

    [LoggerMessage(4, LogLevel.Debug, "The budget store still cannot be reached; {Count} entries wait in the outbox.")]
    private static partial void LogStillUnreachable(ILogger logger, int count, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "The store refused {Operation} {Id} of project '{Project}' for ${Cost} ({Reason}); it is removed from the outbox and this cost is not recorded.")]
    private static partial void LogRejected(ILogger logger, BudgetOutboxOperation operation, string id, string project, decimal cost, string reason);

    [LoggerMessage(6, LogLevel.Warning, "The store no longer knows reservation {Id} of project '{Project}'; its cost is charged to the reservation's keys under the same id.")]
    private static partial void LogSettleNotFound(ILogger logger, string id, string project);

    [LoggerMessage(7, LogLevel.Information, "The outbox loaded {Count} entries (${Amount} in all) that a previous run could not record.")]
    private static partial void LogLoaded(ILogger logger, int count, decimal amount);

    [LoggerMessage(8, LogLevel.Error, "The outbox stopped with {Count} entries (${Amount} in all) the store never took; without an outbox storage they are lost.")]
    private static partial void LogLeftLost(ILogger logger, int count, decimal amount);

    [LoggerMessage(9, LogLevel.Warning, "The outbox stopped with {Count} entries (${Amount} in all) the store has not taken yet; they stay in the outbox storage for the next start.")]
    private static partial void LogLeftSaved(ILogger logger, int count, decimal amount);

    [LoggerMessage(10, LogLevel.Error, "Could not save outbox entry {Id} to the outbox storage; it is kept in memory only.")]
    private static partial void LogSaveFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Could not remove recorded entry {Id} from the outbox storage; after a restart it is sent again and taken as a repeat.")]
    private static partial void LogRemoveFailed(ILogger logger, string id, Exception exception);
}
