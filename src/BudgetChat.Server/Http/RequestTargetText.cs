using System.Net;
using System.Text;
using System.Text.Unicode;

namespace BudgetChat.Server.Http;

/// <summary>
/// Finds percent-encoded bytes that are not UTF-8 in the path or query of a request (<c>?key=%FF</c>,
/// <c>/v1/projects/%ED%A0%80/...</c>). ASP.NET Core leaves such an escape undecoded, so <c>?key=%FF</c> would read as
/// the key <c>"%FF"</c>, which <c>?key=%25FF</c> names; keys and projects are compared exactly as sent, so they are
/// refused instead.
/// </summary>
internal static class RequestTargetText
{
    /// <summary>Returns the field and message of the first part of the target that is not text, or <see langword="null"/>.</summary>
    /// <param name="rawPath">The path as sent, still encoded.</param>
    /// <param name="rawQuery">The query as sent, still encoded, with or without its <c>?</c>.</param>
    public static (string Field, string Message)? FindInvalid(string rawPath, string? rawQuery)
    {
        // The common case, no escapes at all, costs two searches.
        if (rawPath.Contains('%', StringComparison.Ordinal))
        {
            string[] segments = rawPath.Split('/');
            for (int i = 0; i < segments.Length; i++)
            {
                if (!IsText(segments[i]))
                {
                    // "", "v1", "projects", {project}, ...
                    string field = i == 3 && segments[1] == "v1" && segments[2] == "projects" ? "project" : "path";
                    return (field, $"'{field}' is not valid text: its percent-encoded bytes are not UTF-8.");
                }
            }
        }

        if (string.IsNullOrEmpty(rawQuery) || !rawQuery.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }

        foreach (string parameter in rawQuery.TrimStart('?').Split('&'))
        {
            int equals = parameter.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? parameter : parameter[..equals];
            if (!IsText(name))
            {
                return ("query", "A query parameter's name is not valid text: its percent-encoded bytes are not UTF-8.");
            }

            if (equals >= 0 && !IsText(parameter.AsSpan(equals + 1)))
            {
                string field = Uri.UnescapeDataString(name.Replace('+', ' '));
                return (field, $"The query parameter '{field}' is not valid text: its percent-encoded bytes are not UTF-8.");
            }
        }

        return null;
    }

    /// <summary>Whether the bytes the text's escapes stand for, with the rest of the text, are UTF-8.</summary>
    private static bool IsText(ReadOnlySpan<char> encoded)
    {
        if (!encoded.Contains('%'))
        {
            return true;
        }

        byte[] bytes = Encoding.UTF8.GetBytes(encoded.ToArray());
        return Utf8.IsValid(WebUtility.UrlDecodeToBytes(bytes, 0, bytes.Length));
    }
}
