using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace BudgetChat;

// Compiled into every package that has options (linked from src/Shared), so each keeps it internal.
// Options are validated by one set of rules: their data annotations, run by the [OptionsValidator]
// source-generated validator. A container reports a failure as OptionsValidationException; code that takes an
// options object directly calls the options' Validate(), which turns the first failure into the exception the
// throw helpers would give: ArgumentOutOfRangeException for a number, time or enum out of range, ArgumentException
// otherwise, with the property as the parameter name.
internal static class OptionsValidation
{
    /// <summary>Throws for the first failure of <paramref name="result"/>, if any.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static void ThrowIfFailed<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(ValidateOptionsResult result, TOptions options)
        where TOptions : class
    {
        if (!result.Failed)
        {
            return;
        }

        // The validator writes each failure as "Member: message" (ValidateOptionsResultBuilder).
        string failure = result.Failures?.FirstOrDefault() ?? result.FailureMessage;
        int colon = failure.IndexOf(": ", StringComparison.Ordinal);
        string? member = colon > 0 ? failure[..colon].Split(", ")[0] : null;
        string message = colon > 0 ? failure[(colon + 2)..] : failure;
        PropertyInfo? property = member is null ? null : typeof(TOptions).GetProperty(member);
        Type? type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        throw type is not null && (type.IsEnum || type.IsPrimitive || type == typeof(decimal) || type == typeof(TimeSpan))
            ? new ArgumentOutOfRangeException(member, property!.GetValue(options), message)
            : new ArgumentException(message, member);
    }
}
