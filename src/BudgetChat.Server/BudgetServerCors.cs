using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Server;

/// <summary>
/// The web origins whose pages may call the service (CORS), bound from <c>BudgetServer:Cors</c> and validated with
/// <see cref="BudgetServerOptions"/>.
/// </summary>
/// <remarks>
/// Off by default: a request whose <c>Origin</c> header names any other site than the service's own loopback address is
/// refused with 403, with or without API keys. Instances are not thread-safe while being configured.
/// </remarks>
public sealed class BudgetServerCors : IValidatableObject
{
    /// <summary>
    /// Gets the origins (<c>https://app.example.com</c>, <c>http://localhost:3000</c>: scheme, host and port only) whose
    /// pages may send requests, with any header and method. Empty by default: CORS is off.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        for (int i = 0; i < AllowedOrigins.Count; i++)
        {
            if (!TryNormalizeOrigin(AllowedOrigins[i], out _))
            {
                yield return new ValidationResult(
                    $"{BudgetServerOptions.SectionName}:Cors:{nameof(AllowedOrigins)}:{i} '{AllowedOrigins[i]}' is not an origin: give an absolute http or https address with no path, query or fragment (https://app.example.com).",
                    [nameof(AllowedOrigins)]);
            }
        }
    }

    /// <summary>Turns <c>HTTPS://App.Example.com:443</c> into <c>https://app.example.com</c>, the form browsers send.</summary>
    internal static bool TryNormalizeOrigin(string? origin, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(origin) ||
            !Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            !string.IsNullOrEmpty(uri.UserInfo) ||
            uri.AbsolutePath != "/" ||
            !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return false;
        }

        normalized = uri.GetLeftPart(UriPartial.Authority);
        return true;
    }
}
