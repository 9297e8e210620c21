namespace BudgetChat.Cli.Output;

/// <summary>The few ANSI styles the tables use, applied only when colours are on (<see cref="CliEnvironment.OutAllowsColor"/>).</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class Ansi
{
    public const string Bold = "\u001b[1m";
    public const string Red = "\u001b[31m";
    public const string Green = "\u001b[32m";
    public const string Yellow = "\u001b[33m";
    public const string Dim = "\u001b[2m";
    public const string Reset = "\u001b[0m";
}
