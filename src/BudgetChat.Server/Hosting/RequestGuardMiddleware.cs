using BudgetChat.Server.Authentication;
using BudgetChat.Server.Dashboard;
using BudgetChat.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// Refuses what a web page could send without the caller's consent, before authentication: in open mode a
/// <c>Host</c> that is not a loopback name (DNS rebinding, 421); in every mode an <c>Origin</c> of another site unless
/// CORS allows it (403); a body that is not UTF-8 <c>application/json</c>, which a page can send without a preflight (415).
/// Then a path or query whose percent-encoded bytes are not UTF-8 (400 naming the field, <see cref="RequestTargetText"/>).
/// The dashboard's pages (<c>/dashboard</c>) take HTML forms: there a body must be <c>application/x-www-form-urlencoded</c>,
/// and a page of the service's own host name may post, since their cookie is <c>SameSite=Strict</c> and every form
/// carries an anti-forgery token.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal sealed class RequestGuardMiddleware
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    private readonly RequestDelegate _next;
    private readonly bool _open;
    private readonly HashSet<string> _allowedOrigins;
    private readonly ILogger _logger;

    public RequestGuardMiddleware(RequestDelegate next, ApiKeyRegistry keys, IOptions<BudgetServerOptions> options, ILogger<RequestGuardMiddleware> logger)
    {
        _next = next;
        _open = keys.IsOpen;
        _allowedOrigins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string origin in options.Value.Cors.AllowedOrigins)
        {
            if (BudgetServerCors.TryNormalizeOrigin(origin, out string normalized))
            {
                _allowedOrigins.Add(normalized);
            }
        }

        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (_open && !IsLoopbackHost(request.Host.Host))
        {
            BudgetServerLog.RequestRefused(_logger, "a Host that is not a loopback name in open mode");
            return Problems.WriteAsync(
                context,
                StatusCodes.Status421MisdirectedRequest,
                "Misdirected request.",
                $"This service runs without API keys and answers only requests addressed to localhost, 127.0.0.1 or [::1], not '{request.Host.Host}'.");
        }

        bool dashboard = request.Path.StartsWithSegments(DashboardSetup.BasePath, StringComparison.OrdinalIgnoreCase);
        string? origin = request.Headers.Origin;
        if (origin is not null && !IsAllowedOrigin(origin, request, dashboard))
        {
            BudgetServerLog.RequestRefused(_logger, "an Origin of another site");
            return Problems.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                "Forbidden.",
                $"Requests from web pages of '{origin}' are not allowed. Add the origin to BudgetServer:Cors:AllowedOrigins to allow them.");
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true &&
            !(dashboard ? IsForm(request.ContentType) : IsUtf8Json(request.ContentType)))
        {
            string sent = string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"Content-Type '{request.ContentType}'";
            string expected = dashboard ? "an HTML form, 'application/x-www-form-urlencoded'" : "'application/json' in UTF-8";
            BudgetServerLog.RequestRefused(_logger, dashboard ? "a dashboard body that is not a form" : "a body that is not UTF-8 application/json");
            return Problems.WriteAsync(
                context,
                StatusCodes.Status415UnsupportedMediaType,
                "Unsupported media type.",
                $"A request body must be sent as {expected}; this one has {sent}.");
        }

        if (FindInvalidText(context) is { } invalid)
        {
            BudgetServerLog.RequestRefused(_logger, "a path or query that is not valid text");
            return Problems.Validation(invalid.Field, invalid.Message).ExecuteAsync(context);
        }

        return _next(context);
    }

    // Keys and projects are compared exactly as sent: an escape that is not UTF-8 is refused, not read as its own text.
    private static (string Field, string Message)? FindInvalidText(HttpContext context)
    {
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        int query = target.IndexOf('?', StringComparison.Ordinal);
        return RequestTargetText.FindInvalid(query < 0 ? target : target[..query], context.Request.QueryString.Value);
    }

    private static bool IsLoopbackHost(string host) =>
        LoopbackHosts.Contains(host, StringComparer.OrdinalIgnoreCase);

    // A page served by this very service (same scheme, host and port) on a loopback name, or an origin CORS allows.
    // The dashboard's forms come from its own pages on any name, and behind a proxy that ends TLS or maps ports the
    // browser's origin (https://budgets.example.com) is not the request's scheme and port: the host name alone is
    // compared there, as the cookie's SameSite=Strict and the form's anti-forgery token are what protect those posts.
    private bool IsAllowedOrigin(string origin, HttpRequest request, bool dashboard)
    {
        if (!BudgetServerCors.TryNormalizeOrigin(origin, out string normalized))
        {
            return false;
        }

        if (_allowedOrigins.Contains(normalized))
        {
            return true;
        }

        if (dashboard)
        {
            return Uri.TryCreate(normalized, UriKind.Absolute, out Uri? page) &&
                string.Equals(page.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase);
        }

        string own = $"{request.Scheme}://{request.Host.Value}";
        return BudgetServerCors.TryNormalizeOrigin(own, out string ownNormalized) &&
            string.Equals(normalized, ownNormalized, StringComparison.OrdinalIgnoreCase) &&
            IsLoopbackHost(request.Host.Host);
    }

    private static bool IsForm(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? media) &&
        media.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    private static bool IsUtf8Json(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? media) ||
            !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // No charset is UTF-8 for JSON (RFC 8259); a quoted "utf-8" is the same charset.
        return !media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) ||
            media.Charset.Equals("\"utf-8\"", StringComparison.OrdinalIgnoreCase);
    }
}
