using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Hosting;

/// <summary>The service's source-generated log messages. None of them ever carries an API key.</summary>
internal static partial class BudgetServerLog
{
    [LoggerMessage(1, LogLevel.Warning, "No API keys are configured (BudgetServer:ApiKeys): the budget service is open to every caller on {Addresses}, which are loopback only. Configure keys before exposing it.")]
    public static partial void OpenMode(ILogger logger, string addresses);

    [LoggerMessage(2, LogLevel.Information, "The budget service accepts {KeyCount} API keys for {ProjectCount} projects on {Addresses}.")]
    public static partial void KeysConfigured(ILogger logger, int keyCount, int projectCount, string addresses);

    [LoggerMessage(3, LogLevel.Critical, "No API keys are configured, and the budget service listens on {Address}, which is not a loopback address. It refuses to run open there: configure BudgetServer:ApiKeys or listen on 127.0.0.1.")]
    public static partial void OpenModeRefused(ILogger logger, string address);

    [LoggerMessage(4, LogLevel.Information, "Request refused: {Reason}")]
    public static partial void Unauthenticated(ILogger logger, string reason);

    [LoggerMessage(5, LogLevel.Information, "Request refused: an API key of project '{KeyProject}' was used for project '{Project}'.")]
    public static partial void Forbidden(ILogger logger, string keyProject, string project);

    [LoggerMessage(6, LogLevel.Debug, "The store refused {Operation} in project '{Project}': {Message}")]
    public static partial void StoreRefused(ILogger logger, string operation, string project, string message);

    [LoggerMessage(7, LogLevel.Information, "LiteLLM set_budget for project '{Project}': {Written} budgets written, {Unchanged} unchanged, {Deleted} deleted.")]
    public static partial void LiteLlmSetBudget(ILogger logger, string project, int written, int unchanged, int deleted);

    [LoggerMessage(9, LogLevel.Error, "LiteLLM set_budget refused: the store {Store} cannot apply a whole user_dict in one transaction (it does not implement ITransactionalBudgetStore).")]
    public static partial void SetBudgetNeedsTransactions(ILogger logger, string store);

    [LoggerMessage(10, LogLevel.Information, "Spend ledger request refused (501): the store {Store} keeps no spend ledger (it does not implement IBudgetSpendLog).")]
    public static partial void SpendNeedsLedger(ILogger logger, string store);

    [LoggerMessage(8, LogLevel.Error, "The budget store failed its health check.")]
    public static partial void HealthCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "Request refused: {Reason}.")]
    public static partial void RequestRefused(ILogger logger, string reason);

    [LoggerMessage(21, LogLevel.Information, "Request refused: over the rate limit of {PermitsPerSecond} per second.")]
    public static partial void RateLimited(ILogger logger, double permitsPerSecond);
}
