using System.CommandLine;
using System.Data.Common;
using System.Reflection;
using BudgetChat.Server;
using BudgetChat.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BudgetChat.Cli.Commands;

/// <summary>
/// <c>budgetchat serve</c>: runs the budget service in this process with <see cref="BudgetServer.CreateBuilder(string[])"/>
/// and <see cref="BudgetServer.Build"/>, exactly as <c>budgetchat-server</c> does, until Ctrl+C or SIGTERM.
/// </summary>
/// <remarks>
/// Arguments it does not know are the service's configuration, as for <c>budgetchat-server</c>
/// (<c>--urls=http://127.0.0.1:5380</c>, <c>--BudgetServer:DataDirectory=data</c>); <c>--db</c> serves one SQLite file
/// instead of <c>budgets.db</c> in the data directory. This type is thread-safe.
/// </remarks>
internal static class ServeCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command(
            "serve",
            "Run the budget service until Ctrl+C: the /v1 API, LiteLLM's /get_budget and /set_budget, /health. Other arguments are its configuration, as for budgetchat-server: --urls=http://127.0.0.1:5380, --BudgetServer:ApiKeys:0:Key=..., --BudgetServer:DataDirectory=data.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        runner.SetAction(command, static async (context, cancellationToken) =>
        {
            if (context.Url is not null)
            {
                throw CliException.Usage("--url names a budget service to use; serve runs one. Give the address it listens on with --urls=http://127.0.0.1:5380.");
            }

            if (context.ApiKey is not null)
            {
                throw CliException.Usage("--api-key is a client's key; the service's keys are its configuration: --BudgetServer:ApiKeys:0:Project=<project> --BudgetServer:ApiKeys:0:Key=<key>.");
            }

            List<string> arguments = [.. context.Parse.UnmatchedTokens];
            if (context.TimeZone is { } timeZone)
            {
                arguments.Add($"--BudgetServer:TimeZone={timeZone}");
            }

            WebApplication app;
            try
            {
                WebApplicationBuilder builder = BudgetServer.CreateBuilder([.. arguments]);
                if (context.Database is { } database)
                {
                    ServeDatabase(builder.Services, Path.GetFullPath(database));
                }

                app = BudgetServer.Build(builder);
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStartFailure(ex, out Exception cause))
            {
                throw new CliException(ExitCodes.ServiceStartFailed, $"The budget service could not start: {Failures.OneLine(cause.Message)}", ex);
            }

            await using (app.ConfigureAwait(false))
            {
                // Until Ctrl+C or SIGTERM (the host's own lifetime, or this command's token); then a graceful stop.
                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    // The service's store is this file, with the calendar and id retention of the service's own options.
    private static void ServeDatabase(IServiceCollection services, string path)
    {
        if (Directory.Exists(path))
        {
            throw new CliException(ExitCodes.FileError, $"--db: '{path}' is a folder; give the database file.");
        }

        services.AddSqliteBudgetStore(options =>
        {
            options.DataDirectory = Path.GetDirectoryName(path)!;
            options.DatabasePath = path;
        });
        services.AddOptions<SqliteBudgetStoreOptions>().Configure<IOptions<BudgetStoreOptions>>(static (options, ledger) => options.Ledger = ledger.Value);
    }

    // What an operator can fix (configuration, data directory, database file, address in use), as budgetchat-server
    // reports it: one line. Anything else is a bug and keeps its stack trace.
    private static bool IsStartFailure(Exception exception, out Exception cause)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException { InnerException: not null })
        {
            exception = exception.InnerException!;
        }

        cause = exception;
        return exception is OptionsValidationException or InvalidDataException or IOException or UnauthorizedAccessException
            or InvalidOperationException or FormatException or DbException or ArgumentException;
    }
}
