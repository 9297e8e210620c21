using System.Globalization;
using System.Text;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Writes the few Structured Field (RFC 9651) values the budget headers use: Strings, Tokens and Integers, as members of
/// a List with Parameters.
/// </summary>
internal static class StructuredFieldWriter
{
    /// <summary>The largest Integer a Structured Field can carry (15 digits).</summary>
    public const long MaxInteger = 999_999_999_999_999;

    /// <summary>Tells whether a String can carry <paramref name="value"/> as it is: printable ASCII only.</summary>
    public static bool IsPrintableAscii(string value)
    {
        foreach (char c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Appends <paramref name="value"/> as a String; a character a String cannot carry is written as <c>?</c>.</summary>
    public static StringBuilder AppendString(this StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c is < ' ' or > '~' ? '?' : c);
        }

        return builder.Append('"');
    }

    /// <summary>Appends <paramref name="value"/> as a Token when it is one, else as a String.</summary>
    public static StringBuilder AppendTokenOrString(this StringBuilder builder, string value) =>
        IsToken(value) ? builder.Append(value) : builder.AppendString(value);

    /// <summary>Appends a whole, non-negative amount as an Integer, capped at <see cref="MaxInteger"/>.</summary>
    public static StringBuilder AppendInteger(this StringBuilder builder, decimal value) =>
        builder.Append(((long)Math.Clamp(decimal.Floor(value), 0m, MaxInteger)).ToString(CultureInfo.InvariantCulture));

    /// <summary>Appends a parameter <c>;key=</c>; the caller appends its value.</summary>
    public static StringBuilder AppendParameter(this StringBuilder builder, string key) => builder.Append(';').Append(key).Append('=');

    // sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" )
    private static bool IsToken(string value)
    {
        if (value.Length == 0 || !(char.IsAsciiLetter(value[0]) || value[0] == '*'))
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~:/".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }
}
