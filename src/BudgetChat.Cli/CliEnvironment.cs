namespace BudgetChat.Cli;

/// <summary>
/// What a run of <c>budgetchat</c> sees of the world: its output streams, whether they are terminals, and the
/// environment variables. <see cref="FromProcess"/> gives the real ones; tests give writers of their own.
/// </summary>
/// <remarks>Instances are immutable; the writers are used from one command at a time.</remarks>
internal sealed class CliEnvironment
{
    /// <summary>The environment variable that turns colours off, whatever its value (https://no-color.org).</summary>
    public const string NoColorVariable = "NO_COLOR";

    /// <summary>Gets the writer of results (stdout).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Gets the writer of errors, warnings and progress (stderr).</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Gets a value indicating whether stdout is a terminal (a person reads it) rather than a pipe or file.</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>Gets a value indicating whether stderr is a terminal, where a progress bar can redraw itself.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>Gets the lookup of environment variables.</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>
    /// Gets the store to use instead of opening one from <c>--url</c> or <c>--db</c>, or <see langword="null"/>: for tests
    /// that run the commands in process on a store of their own.
    /// </summary>
    public IBudgetStore? Store { get; init; }

    /// <summary>Gets the real process's streams and environment.</summary>
    public static CliEnvironment FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        OutIsTerminal = !Console.IsOutputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };

    /// <summary>Gets a value indicating whether stdout may carry ANSI colours: a terminal, not <c>TERM=dumb</c>, and no <c>NO_COLOR</c>.</summary>
    public bool OutAllowsColor =>
        OutIsTerminal && GetVariable(NoColorVariable) is null or "" && !string.Equals(GetVariable("TERM"), "dumb", StringComparison.Ordinal);
}
