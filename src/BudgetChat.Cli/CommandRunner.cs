using System.CommandLine;
using System.CommandLine.Parsing;

namespace BudgetChat.Cli;

/// <summary>
/// Runs a command's handler with its <see cref="CliContext"/>, and turns what it throws into a line on stderr and an exit
/// code (<see cref="Failures"/>), so that every command fails the same way.
/// </summary>
/// <remarks>Not thread-safe; one per command tree.</remarks>
internal sealed class CommandRunner
{
    /// <summary>The name commands are run as, in messages.</summary>
    public const string ToolName = "budgetchat";

    private readonly CliEnvironment _environment;

    public CommandRunner(GlobalOptions options, CliEnvironment environment)
    {
        Options = options;
        _environment = environment;
    }

    /// <summary>Gets the global options.</summary>
    public GlobalOptions Options { get; }

    /// <summary>Makes <paramref name="handler"/> the command's action.</summary>
    public void SetAction(Command command, Func<CliContext, CancellationToken, Task<int>> handler) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, handler, cancellationToken));

    /// <summary>Writes the line a usage error ends with: where to read the command's usage.</summary>
    public static void WriteUsageHint(TextWriter error, ParseResult parse) =>
        error.WriteLine($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult command)
            {
                names.Add(command.Command is RootCommand ? ToolName : command.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> handler, CancellationToken cancellationToken)
    {
        CliContext context = new(parse, Options, _environment);
        try
        {
            return await handler(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            (int exitCode, string message) = Failures.Describe(exception, context.Connection, cancellationToken.IsCancellationRequested);
            await _environment.Error.WriteLineAsync($"{ToolName}: {message}").ConfigureAwait(false);
            if (exitCode == ExitCodes.Usage)
            {
                WriteUsageHint(_environment.Error, parse);
            }

            return exitCode;
        }
        finally
        {
            await context.DisposeAsync().ConfigureAwait(false);
        }
    }
}
