using System.Data.Common;
using Microsoft.Extensions.Options;

namespace BudgetChat.Cli;

/// <summary>Turns what a command threw into one line on stderr and an exit code (<see cref="ExitCodes"/>).</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class Failures
{
    /// <summary>Gets the exit code and message of a failure.</summary>
    /// <param name="exception">What the command threw.</param>
    /// <param name="connection">The store the command used, or <see langword="null"/>: says what could not be reached.</param>
    /// <param name="cancelled">Whether the run was interrupted (Ctrl+C, SIGTERM).</param>
    /// <returns>The exit code and the message, one line; an internal error's message has the exception's details.</returns>
    public static (int ExitCode, string Message) Describe(Exception exception, StoreConnection? connection, bool cancelled)
    {
        string store = connection?.Description ?? "the store";
        return exception switch
        {
            CliException cli => (cli.ExitCode, cli.Message),
            OperationCanceledException when cancelled => (ExitCodes.Interrupted, "Interrupted."),
            BudgetStoreUnavailableException => (ExitCodes.ServiceUnavailable, OneLine(exception.Message)),
            HttpRequestException => (ExitCodes.ServiceUnavailable, $"{Capitalize(store)} cannot be reached: {OneLine(exception.Message)}"),
            UnauthorizedAccessException when connection is { IsService: true } =>
                (ExitCodes.ServiceUnavailable, $"{OneLine(exception.Message)} Give the project's API key with --api-key or BUDGETCHAT_API_KEY."),
            BudgetNotFoundException notFound => (ExitCodes.Negative, $"Project '{notFound.Project}' has no budget '{notFound.Key}'."),
            OptionsValidationException => (ExitCodes.Usage, OneLine(exception.Message)),
            ArgumentException argument => (ExitCodes.Usage, $"{OptionOf(argument.ParamName)}{WithoutParameter(argument)}"),
            FormatException or InvalidDataException or IOException or UnauthorizedAccessException or DbException =>
                (ExitCodes.FileError, OneLine(exception.Message)),
            _ => (ExitCodes.InternalError, $"Unexpected error (a bug in budgetchat; please report it): {exception}"),
        };
    }

    /// <summary>Gets an <see cref="ArgumentException"/>'s message without the "(Parameter 'x')" the runtime appends.</summary>
    public static string WithoutParameter(ArgumentException exception)
    {
        string message = exception.Message;
        if (exception.ParamName is { } name)
        {
            string suffix = $" (Parameter '{name}')";
            int at = message.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = message.Remove(at, suffix.Length);
            }
        }

        return OneLine(message);
    }

    /// <summary>Joins the lines of a message into one.</summary>
    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // The command-line name of a store argument a message is about: what the person typed.
    private static string OptionOf(string? parameter) => parameter switch
    {
        "project" => "--project: ",
        "key" => "<key>: ",
        "limit" or "definition" or "limits" or "amount" => "--limit: ",
        null or "" => string.Empty,
        _ => $"{parameter}: ",
    };

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
