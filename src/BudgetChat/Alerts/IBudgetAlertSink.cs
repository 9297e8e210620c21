namespace BudgetChat;

/// <summary>Receives the alerts raised when a budget's spend crosses one of its thresholds.</summary>
/// <remarks>
/// Each threshold alerts once per budget window, in the process whose charge crossed it. Register sinks in DI
/// (<c>services.AddSingleton&lt;IBudgetAlertSink, MySink&gt;()</c>); <c>AddBudgetChat</c> adds a
/// sink that logs each alert as a warning. A sink that throws is logged and does not affect the call.
/// Implementations are thread-safe.
/// </remarks>
public interface IBudgetAlertSink
{
    /// <summary>Handles one alert.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the alert is handled.</returns>
    ValueTask OnBudgetAlertAsync(BudgetAlert alert, CancellationToken cancellationToken);
}
