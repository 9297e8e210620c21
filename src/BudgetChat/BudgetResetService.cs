using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>
/// Sweeps the budget store on a schedule (LiteLLM's daily <c>update_budget_all_users</c> cron): rolls over every
/// budget whose window has ended and reclaims expired reservations; when the store keeps a spend ledger
/// (<see cref="IBudgetSpendLog"/>), deletes the records older than <see cref="BudgetResetServiceOptions.SpendRetention"/>.
/// Registered by <c>AddBudgetChat</c>.
/// </summary>
/// <remarks>A failed sweep is logged and retried at the next interval. This type is thread-safe.</remarks>
public sealed partial class BudgetResetService : BackgroundService
{
    private readonly IBudgetStore _store;
    private readonly BudgetResetServiceOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private CancellationToken _startToken;

    /// <summary>Initializes a new instance of the <see cref="BudgetResetService"/> class.</summary>
    /// <param name="store">The store to sweep.</param>
    /// <param name="options">The schedule.</param>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">The logger, or <see langword="null"/> for none.</param>
    public BudgetResetService(IBudgetStore store, IOptions<BudgetResetServiceOptions> options, TimeProvider? timeProvider = null, ILogger<BudgetResetService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Value.Interval, TimeSpan.Zero, "options.Value.Interval");
        _store = store;
        _options = options.Value;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<BudgetResetService>.Instance;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The base class would link its stopping token to <paramref name="cancellationToken"/> and start
    /// <see cref="ExecuteAsync"/> on it, so a start cancelled before the sweep loop began would leave a cancelled task,
    /// which the host logs as a failed service that stops it (Critical). The loop is started on no token, and watches
    /// the start's token itself, with the same effect on a start that goes on.
    /// </remarks>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _startToken = cancellationToken;
        return base.StartAsync(CancellationToken.None);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _startToken);
        stoppingToken = stopping.Token;

        using var timer = new PeriodicTimer(_options.Interval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    int rolled = await _store.SweepAsync(stoppingToken).ConfigureAwait(false);
                    LogSwept(_logger, rolled);
                    if (_options.SpendRetention is { } retention && _store is IBudgetSpendLog log)
                    {
                        long pruned = await log.PruneSpendAsync(_timeProvider.GetUtcNow() - retention, stoppingToken).ConfigureAwait(false);
                        LogPruned(_logger, pruned, retention);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSweepFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping is the normal end, also when the host's start was cancelled before it called StopAsync: a
            // cancelled task would be logged by the host as a failed background service that stops it (Critical).
        }
    }

    [LoggerMessage(200, LogLevel.Debug, "Budget sweep rolled over {Rolled} budgets.")]
    private static partial void LogSwept(ILogger logger, int rolled);

    [LoggerMessage(202, LogLevel.Debug, "Deleted {Pruned} spend records older than {Retention}.")]
    private static partial void LogPruned(ILogger logger, long pruned, TimeSpan retention);

    [LoggerMessage(201, LogLevel.Error, "Budget sweep failed; retrying at the next interval.")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
