namespace BudgetChat.Cli;

/// <summary>A failure the command reports in one line on stderr, with its exit code (<see cref="ExitCodes"/>).</summary>
internal sealed class CliException : Exception
{
    public CliException()
        : this(ExitCodes.InternalError, "The command failed.")
    {
    }

    public CliException(string message)
        : this(ExitCodes.InternalError, message)
    {
    }

    public CliException(string message, Exception innerException)
        : this(ExitCodes.InternalError, message, innerException)
    {
    }

    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    /// <summary>Gets the process's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>Creates the failure of a command line that is wrong (<see cref="ExitCodes.Usage"/>).</summary>
    public static CliException Usage(string message) => new(ExitCodes.Usage, message);
}
