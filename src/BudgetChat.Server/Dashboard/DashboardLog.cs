using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Dashboard;

/// <summary>The dashboard's source-generated log messages. None of them ever carries an API key.</summary>
internal static partial class DashboardLog
{
    [LoggerMessage(40, LogLevel.Information, "Dashboard sign-in with a key of project '{Project}' and role '{Role}' from {Address}.")]
    public static partial void SignedIn(ILogger logger, string project, string role, string? address);

    [LoggerMessage(41, LogLevel.Information, "Dashboard sign-in refused from {Address}: the key is not valid.")]
    public static partial void SignInRefused(ILogger logger, string? address);

    [LoggerMessage(42, LogLevel.Information, "Dashboard: budget '{Key}' of project '{Project}' {Change}.")]
    public static partial void BudgetChanged(ILogger logger, string project, string key, string change);
}
