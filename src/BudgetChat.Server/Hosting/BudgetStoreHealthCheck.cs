using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Hosting;

/// <summary>Healthy when the store answers a read. Thread-safe.</summary>
internal sealed class BudgetStoreHealthCheck(IBudgetStore store, ILogger<BudgetStoreHealthCheck> logger) : IHealthCheck
{
    // A project no client can own (it holds a control character), so the probe reads nothing of anyone's.
    private const string ProbeProject = "\u0001budgetchat-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            _ = await store.ListBudgetsAsync(ProbeProject, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The budget store answers.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            BudgetServerLog.HealthCheckFailed(logger, ex);
            return HealthCheckResult.Unhealthy("The budget store does not answer.");
        }
    }
}
