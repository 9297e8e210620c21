using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>
/// A real authentication handler for tests: the request header <c>X-Test-Claims: type=value;type=value</c> signs the
/// request in with those claims; without the header the request is anonymous.
/// </summary>
public sealed class TestAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string ClaimsHeader = "X-Test-Claims";

    public static string Claims(params (string Type, string Value)[] claims) => string.Join(';', claims.Select(c => $"{c.Type}={c.Value}"));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ClaimsHeader, out var header) || string.IsNullOrEmpty(header.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim>();
        foreach (string pair in header.ToString().Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.LastIndexOf('=');
            if (equals <= 0)
            {
                return Task.FromResult(AuthenticateResult.Fail($"Bad claim '{pair}'."));
            }

            claims.Add(new Claim(pair[..equals], pair[(equals + 1)..]));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
