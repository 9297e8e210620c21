using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat;

/// <summary>Writes budget alerts to the log at Warning level.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal sealed partial class LoggingBudgetAlertSink : IBudgetAlertSink
{
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="LoggingBudgetAlertSink"/> class.</summary>
    /// <param name="logger">The logger, or <see langword="null"/> for none.</param>
    public LoggingBudgetAlertSink(ILogger<LoggingBudgetAlertSink>? logger = null)
    {
        _logger = logger ?? NullLogger<LoggingBudgetAlertSink>.Instance;
    }

    /// <inheritdoc/>
    public ValueTask OnBudgetAlertAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        LogAlert(_logger, alert.Key, alert.Project, alert.Threshold * 100m, alert.Spent, alert.Limit, alert.WindowEnd);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(100, LogLevel.Warning, "Budget '{Key}' of project '{Project}' has reached {Percent:0.##}% of its limit: ${Spent} of ${Limit} spent (window ends {WindowEnd}).")]
    private static partial void LogAlert(ILogger logger, string key, string project, decimal percent, decimal spent, decimal limit, DateTimeOffset? windowEnd);
}
