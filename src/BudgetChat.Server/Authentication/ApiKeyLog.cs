using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Authentication;

/// <summary>The source-generated log messages of API-key authorization. None of them ever carries a key.</summary>
internal static partial class ApiKeyLog
{
    [LoggerMessage(1, LogLevel.Information, "Request refused: an API key of project '{KeyProject}' with the role '{Role}' was used for {Method} {Path}, which needs the role 'admin'.")]
    public static partial void RoleRefused(ILogger logger, string keyProject, string role, string method, string path);
}
