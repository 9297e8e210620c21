using Microsoft.Extensions.Logging;

namespace BudgetChat;

/// <summary>Hands alerts to every sink; a failing sink is logged and skipped.</summary>
internal sealed partial class BudgetAlertPublisher
{
    private readonly IBudgetAlertSink[] _sinks;
    private readonly ILogger _logger;

    public BudgetAlertPublisher(IEnumerable<IBudgetAlertSink> sinks, ILogger logger)
    {
        _sinks = [.. sinks];
        _logger = logger;
    }

    public async ValueTask PublishAsync(IReadOnlyList<BudgetAlert> alerts)
    {
        if (alerts.Count == 0)
        {
            return;
        }

        foreach (BudgetAlert alert in alerts)
        {
            foreach (IBudgetAlertSink sink in _sinks)
            {
                try
                {
                    await sink.OnBudgetAlertAsync(alert, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogSinkFailed(_logger, sink.GetType().Name, alert.Key, ex);
                }
            }
        }
    }

    [LoggerMessage(101, LogLevel.Error, "Budget alert sink {Sink} failed on an alert for '{Key}'.")]
    private static partial void LogSinkFailed(ILogger logger, string sink, string key, Exception exception);
}
