namespace BudgetChat.Cli;

/// <summary>The exit codes of <c>budgetchat</c>, as docs/cli.md lists them.</summary>
/// <remarks>Part of the tool's contract with scripts: never change a value. This type is thread-safe.</remarks>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>
    /// The command ran but the answer is no: the key has no budget, a budget's spend records do not add up to its spend
    /// (<c>verify</c>), or an import would add to budgets the project already has.
    /// </summary>
    public const int Negative = 1;

    /// <summary>The command line is wrong: an unknown command or option, a missing or invalid value, options that exclude each other.</summary>
    public const int Usage = 2;

    /// <summary>The budget service cannot be reached, timed out, or refused the API key.</summary>
    public const int ServiceUnavailable = 3;

    /// <summary>The store keeps no spend ledger, which the command needs (<c>spend</c>, <c>verify</c>).</summary>
    public const int NoSpendLedger = 4;

    /// <summary>A file cannot be read or written, or is not what it should be: a missing or damaged database, a LiteLLM file that is not one.</summary>
    public const int FileError = 5;

    /// <summary><c>serve</c> could not start the budget service: bad configuration, an address in use, an unusable data directory.</summary>
    public const int ServiceStartFailed = 6;

    /// <summary>An unexpected error (a bug in budgetchat): the message and stack trace are on stderr.</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted (Ctrl+C or SIGTERM) before the command finished.</summary>
    public const int Interrupted = 130;
}
