using System.Net.Http.Headers;

namespace BudgetChat;

// Compiled into every package that sends extra request headers (linked from src/Shared), so each keeps it internal.
// Extra headers are LiteLLM's headers= (an Authorization header, a gateway's key, a tenant id): sent as given on every
// request. Their values may be secrets, so no message ever quotes one, only the header's name.
internal static class RequestHeaderRules
{
    /// <summary>Gets what is wrong with extra headers, one message per problem, each naming <paramref name="setting"/>.</summary>
    /// <param name="headers">The headers.</param>
    /// <param name="setting">The setting's name, for example <c>HostedBudgetStoreOptions.Headers</c>.</param>
    /// <param name="apiKeySetting">The API key's setting when a key is set too, which an Authorization header would contradict; otherwise <see langword="null"/>.</param>
    /// <returns>The problems; empty when the headers are valid.</returns>
    public static IEnumerable<string> Problems(IEnumerable<KeyValuePair<string, string>> headers, string setting, string? apiKeySetting)
    {
        using var probe = new HttpRequestMessage();
        foreach ((string name, string value) in headers)
        {
            if (string.IsNullOrEmpty(name) || !name.All(IsTokenChar))
            {
                yield return $"{setting} has a header name that is empty or has characters an HTTP header name cannot have (letters, digits and !#$%&'*+-.^_`|~ only).";
                continue;
            }

            if (value is null || !value.All(c => c == '\t' || (c >= ' ' && c < '\u007f')))
            {
                yield return $"{setting}['{name}'] must be a value of printable ASCII characters.";
                continue;
            }

            if (IsJsonContentType(name, value))
            {
                continue; // LiteLLM's default headers; every body is JSON anyway
            }

            if (!probe.Headers.TryAddWithoutValidation(name, "x"))
            {
                yield return $"{setting}['{name}'] is a header of the body, which the client sets itself; remove it.";
                continue;
            }

            probe.Headers.Remove(name);
            if (apiKeySetting is not null && string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                yield return $"{setting} has an Authorization header and {apiKeySetting} is set too; set only one of them.";
            }
        }
    }

    /// <summary>Tells whether the headers hold an Authorization header.</summary>
    /// <param name="headers">The headers.</param>
    /// <returns><see langword="true"/> when one of them is Authorization.</returns>
    public static bool HasAuthorization(IEnumerable<KeyValuePair<string, string>> headers) =>
        headers.Any(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds valid extra headers to a request; a JSON Content-Type is left to the body.</summary>
    /// <param name="target">The request's headers.</param>
    /// <param name="headers">Headers that <see cref="Problems"/> found valid.</param>
    public static void Apply(HttpRequestHeaders target, IEnumerable<KeyValuePair<string, string>> headers)
    {
        foreach ((string name, string value) in headers)
        {
            if (!IsJsonContentType(name, value))
            {
                target.TryAddWithoutValidation(name, value);
            }
        }
    }

    private static bool IsJsonContentType(string name, string value) =>
        string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase)
        && MediaTypeHeaderValue.TryParse(value, out MediaTypeHeaderValue? type)
        && string.Equals(type.MediaType, "application/json", StringComparison.OrdinalIgnoreCase);

    // RFC 9110's tchar.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);
}
