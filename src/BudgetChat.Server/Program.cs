using BudgetChat.Server;
using BudgetChat.Server.Hosting;

// Listens where configuration says (appsettings.json: http://127.0.0.1:5380), keeps data in BudgetServer:DataDirectory.
// A start that fails for a reason the operator can fix (configuration, data directory, database file, address) ends
// with one line on stderr and exit code 1, not a stack trace.
try
{
    BudgetServer.Build(BudgetServer.CreateBuilder(args)).Run();
    return 0;
}
catch (Exception exception) when (StartupFailure.TryDescribe(exception, out string? message))
{
    Console.Error.WriteLine($"budgetchat-server: {message}");
    return 1;
}
