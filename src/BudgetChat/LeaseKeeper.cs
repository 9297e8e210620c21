using Microsoft.Extensions.Logging;

namespace BudgetChat;

/// <summary>
/// A call in flight whose reservation a <see cref="LeaseKeeper"/> renews: the lease, and what the call's own code tells
/// the keeper (whether a stream is waiting for the provider or has handed an update to its consumer).
/// </summary>
internal abstract class KeptCall
{
    private int _progress;
    private volatile bool _withConsumer;
    private int _abandoned;

    /// <summary>Gets or sets the lease that admitted the call.</summary>
    public BudgetLease? Lease { get; set; }

    /// <summary>Gets or sets a value indicating whether the call has received output (a stream, an update).</summary>
    public bool Produced { get; set; }

    /// <summary>Gets or sets the call's place in its keeper, or -1 while it is not kept. Changed only under the keeper's lock.</summary>
    internal int Slot { get; set; } = -1;

    /// <summary>Gets a value indicating whether the keeper ended the call's lease because its consumer stopped asking for more.</summary>
    public bool IsAbandoned => Volatile.Read(ref _abandoned) != 0;

    internal int Progress => Volatile.Read(ref _progress);

    internal bool WithConsumer => _withConsumer;

    /// <summary>A stream hands an update to its consumer: from now on it waits for the consumer, not for the provider.</summary>
    public void HandedToConsumer() => _withConsumer = true;

    /// <summary>The consumer asked for the next update.</summary>
    public void Resumed()
    {
        _withConsumer = false;
        Interlocked.Increment(ref _progress);
    }

    internal bool TryAbandon() => Interlocked.Exchange(ref _abandoned, 1) == 0;
}

/// <summary>
/// Renews the reservations of a client's calls in flight, so that a call that outlives
/// <see cref="BudgetingChatClientOptions.ReservationTimeout"/> keeps its hold, the way a lock's lease is renewed; and
/// ends the lease of a stream whose consumer stopped asking for updates for a whole timeout without disposing it.
/// </summary>
/// <remarks>
/// One timer per client, running only while calls are kept, ticks every third of the timeout; calls are kept in an array
/// of slots, so keeping one costs no allocation. This type is thread-safe.
/// </remarks>
internal sealed partial class LeaseKeeper : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Func<KeptCall, ValueTask> _abandon;

    // What the keeper saw of each kept call at the last tick; touched only by the tick, which never overlaps itself.
    private readonly Dictionary<KeptCall, (int Progress, int IdleTicks)> _seen = new(ReferenceEqualityComparer.Instance);
    private readonly List<KeptCall> _due = [];

    private KeptCall?[] _slots = new KeptCall?[8];
    private int[] _free = [7, 6, 5, 4, 3, 2, 1, 0];
    private int _freeCount = 8;
    private ITimer? _timer;
    private bool _running;
    private bool _disposed;
    private int _ticking;

    public LeaseKeeper(TimeSpan timeout, TimeProvider timeProvider, ILogger logger, Func<KeptCall, ValueTask> abandon)
    {
        _timeout = timeout;
        _interval = timeout / 3;
        _timeProvider = timeProvider;
        _logger = logger;
        _abandon = abandon;
    }

    /// <summary>Starts renewing the call's reservation until <see cref="Remove"/>.</summary>
    public void Add(KeptCall call)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_freeCount == 0)
            {
                Grow();
            }

            int slot = _free[--_freeCount];
            _slots[slot] = call;
            call.Slot = slot;
            if (!_running)
            {
                _running = true;
                if (_timer is null)
                {
                    _timer = _timeProvider.CreateTimer(static state => ((LeaseKeeper)state!).OnTick(), this, _interval, _interval);
                }
                else
                {
                    _timer.Change(_interval, _interval);
                }
            }
        }
    }

    /// <summary>Stops renewing the call's reservation; a call that is not kept is left alone.</summary>
    public void Remove(KeptCall call)
    {
        lock (_gate)
        {
            int slot = call.Slot;
            if (slot < 0 || !ReferenceEquals(_slots[slot], call))
            {
                return;
            }

            _slots[slot] = null;
            call.Slot = -1;
            _free[_freeCount++] = slot;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Grow()
    {
        int old = _slots.Length;
        Array.Resize(ref _slots, old * 2);
        Array.Resize(ref _free, old * 2);
        for (int slot = (old * 2) - 1; slot >= old; slot--)
        {
            _free[_freeCount++] = slot;
        }
    }

    private void OnTick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 0)
        {
            _ = TickAsync();
        }
    }

    private async Task TickAsync()
    {
        try
        {
            lock (_gate)
            {
                _due.Clear();
                foreach (KeptCall? call in _slots)
                {
                    if (call is not null)
                    {
                        _due.Add(call);
                    }
                }

                if (_due.Count == 0)
                {
                    // Nothing to keep: the timer sleeps until the next call is kept, so an idle client costs nothing.
                    _running = false;
                    _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    _seen.Clear();
                    return;
                }
            }

            foreach (KeptCall call in _due)
            {
                await KeepAsync(call).ConfigureAwait(false);
            }

            // Forget what was seen of calls that have ended.
            if (_seen.Count > _due.Count)
            {
                foreach (KeptCall gone in _seen.Keys.Where(k => k.Slot < 0).ToArray())
                {
                    _seen.Remove(gone);
                }
            }
        }
        catch (Exception ex)
        {
            // A tick must never take the process down; the next one tries again.
            Log.TickFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private async ValueTask KeepAsync(KeptCall call)
    {
        BudgetLease lease = call.Lease!;
        int progress = call.Progress;
        int idle = 0;
        if (call.WithConsumer)
        {
            idle = _seen.TryGetValue(call, out var seen) && seen.Progress == progress ? seen.IdleTicks + 1 : 0;
            if (idle * _interval >= _timeout && call.TryAbandon())
            {
                // The consumer has held an update for a whole timeout without asking for the next or disposing the
                // stream: it is treated as gone, and the lease ends now rather than be renewed for ever.
                Remove(call);
                _seen.Remove(call);
                Log.Abandoned(_logger, lease.Id, _timeout);
                await _abandon(call).ConfigureAwait(false);
                return;
            }
        }

        _seen[call] = (progress, idle);
        try
        {
            BudgetRenewalStatus status = await lease.RenewAsync(_timeout, _timeProvider).ConfigureAwait(false);
            switch (status)
            {
                case BudgetRenewalStatus.Renewed:
                    break;
                case BudgetRenewalStatus.Expired:
                    Log.RenewedTooLate(_logger, lease.Id);
                    Remove(call);
                    break;
                default:
                    Remove(call);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Tried again at the next tick, a third of the timeout later, while the hold lasts.
            Log.RenewFailed(_logger, lease.Id, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Warning, "Could not renew reservation {ReservationId}; trying again at the next renewal.")]
        public static partial void RenewFailed(ILogger logger, string reservationId, Exception exception);

        [LoggerMessage(21, LogLevel.Warning, "Reservation {ReservationId} had expired before it could be renewed: its money was given back while the call went on, and other calls may have been admitted into it. Its settle still charges.")]
        public static partial void RenewedTooLate(ILogger logger, string reservationId);

        [LoggerMessage(22, LogLevel.Warning, "The stream of reservation {ReservationId} was neither read nor disposed for {Timeout}: it is taken as abandoned and charged what was held for it (or released when it produced nothing). Dispose streams you stop reading.")]
        public static partial void Abandoned(ILogger logger, string reservationId, TimeSpan timeout);

        [LoggerMessage(23, LogLevel.Error, "Renewing the reservations of calls in flight failed; trying again at the next renewal.")]
        public static partial void TickFailed(ILogger logger, Exception exception);
    }
}
