using System.Data.Common;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// Tells a start that failed for a reason the operator can fix (bad configuration, an unusable data directory, a
/// damaged database file, an address in use) from a bug, and says it in one line.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class StartupFailure
{
    /// <summary>Describes <paramref name="exception"/> in one line when it is such a failure.</summary>
    public static bool TryDescribe(Exception exception, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? message)
    {
        // The host throws the one failure of a start as is, several as an AggregateException; reflection wraps.
        while (exception is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException { InnerException: not null })
        {
            exception = exception.InnerException!;
        }

        message = null;
        if (exception is not (OptionsValidationException or InvalidDataException or IOException or UnauthorizedAccessException
            or InvalidOperationException or FormatException or DbException))
        {
            return false;
        }

        message = string.Join(' ', exception.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return true;
    }
}
