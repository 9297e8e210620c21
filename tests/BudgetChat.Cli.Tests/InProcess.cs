namespace BudgetChat.Cli.Tests;

/// <summary>Runs the tool's commands in this process on a store of the test's own, with stdout and stderr captured.</summary>
internal static class InProcess
{
    public static async Task<CliResult> RunAsync(IBudgetStore store, string[] arguments, bool terminal = false, IReadOnlyDictionary<string, string>? variables = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = output,
            Error = error,
            OutIsTerminal = terminal,
            ErrorIsTerminal = terminal,
            GetVariable = name => variables?.GetValueOrDefault(name),
            Store = store,
        };

        int exitCode = await CliApplication.RunAsync(arguments, environment);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
