using System.CommandLine;
using System.CommandLine.Parsing;
using BudgetChat.Cli.Commands;

namespace BudgetChat.Cli;

/// <summary>Parses a command line and runs the command: the whole of <c>budgetchat</c> but for <c>Main</c>.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class CliApplication
{
    /// <summary>Runs <c>budgetchat</c> with <paramref name="args"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="environment">The streams and environment variables.</param>
    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment)
    {
        var runner = new CommandRunner(new GlobalOptions(), environment);
        RootCommand root = RootCommandFactory.Create(runner);
        ParseResult parse = root.Parse(args);

        // A wrong command line is exit code 2 (System.CommandLine's own is 1, which scripts would read as "not found"),
        // with each error on a line of its own and where to read the usage; not the whole help.
        if (parse.Errors.Count > 0)
        {
            foreach (ParseError error in parse.Errors)
            {
                await environment.Error.WriteLineAsync($"{CommandRunner.ToolName}: {error.Message}").ConfigureAwait(false);
            }

            CommandRunner.WriteUsageHint(environment.Error, parse);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = environment.Out,
            Error = environment.Error,
            EnableDefaultExceptionHandler = false,
        };
        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }
}
