using System.Net;
using System.Text.Encodings.Web;
using BudgetChat.Server.Hosting;
using BudgetChat.Server.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.Server.Authentication;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> against <see cref="ApiKeyRegistry"/>, and answers
/// challenges (401, with <c>WWW-Authenticate: Bearer</c>) and refusals (403) with ProblemDetails. Never logs a key.
/// </summary>
/// <remarks>One instance per request, as every authentication handler.</remarks>
internal sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    private const string BearerPrefix = "Bearer ";

    private readonly ApiKeyRegistry _keys;
    private readonly ILogger _log;

    public ApiKeyAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory loggerFactory,
        UrlEncoder encoder,
        ApiKeyRegistry keys)
        : base(options, loggerFactory, encoder)
    {
        _keys = keys;
        _log = loggerFactory.CreateLogger<ApiKeyAuthenticationHandler>();
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (_keys.IsOpen)
        {
            // Open mode serves loopback callers only, whatever addresses the server was told to listen on.
            IPAddress? local = Context.Connection.LocalIpAddress;
            return Task.FromResult(local is null || IPAddress.IsLoopback(local)
                ? Success(ProjectAccess.Open())
                : AuthenticateResult.Fail("no API keys are configured, and open mode serves loopback connections only."));
        }

        string? token = ReadBearerToken(out string? problem);
        if (token is null)
        {
            return Task.FromResult(problem is null ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(problem));
        }

        ApiKeyGrant? grant = _keys.Find(token);
        return Task.FromResult(grant is null
            ? AuthenticateResult.Fail("the API key is not valid.")
            : Success(ProjectAccess.ForProject(grant.Project, grant.Role)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        bool presented = !string.IsNullOrEmpty(Request.Headers.Authorization);
        string detail = _keys.IsOpen
            ? "This service runs without API keys and serves loopback connections only."
            : presented
                ? "The API key is not valid. Send 'Authorization: Bearer <api key>' with a key configured for the project."
                : "An API key is required. Send 'Authorization: Bearer <api key>'.";
        BudgetServerLog.Unauthenticated(_log, presented ? "invalid or malformed API key." : "no API key.");

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, presented ? "Bearer error=\"invalid_token\"" : "Bearer");
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized.", detail).ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        // Two policies can refuse an authenticated caller: the route's project is not the key's (ProjectPolicy), or the
        // route needs a role the key lacks (AdminPolicy, the only one an enforce key can miss).
        string? project = Request.RouteValues["project"] as string;
        string detail;
        if (project is not null && !ProjectAccess.Allows(Context.User, project))
        {
            detail = $"The API key is not valid for project '{project}'.";
        }
        else
        {
            string role = ProjectAccess.KeyRole(Context.User) ?? "none";
            ApiKeyLog.RoleRefused(_log, ProjectAccess.KeyProject(Context.User) ?? string.Empty, role, Request.Method, Request.Path.Value ?? string.Empty);
            detail = $"The API key's role '{role}' lacks the permission for {Request.Method} {Request.Path}: an enforce key may read budgets, reserve, settle, " +
                "release, renew and charge; creating, changing, resetting and deleting budgets, sweeping and LiteLLM's /set_budget need a key with the role 'admin' (BudgetServer:ApiKeys:n:Role).";
        }

        Response.StatusCode = StatusCodes.Status403Forbidden;
        await WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden.", detail).ConfigureAwait(false);
    }

    private static AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, ProjectAccess.SchemeName));

    private string? ReadBearerToken(out string? problem)
    {
        problem = null;
        Microsoft.Extensions.Primitives.StringValues values = Request.Headers.Authorization;
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return null;
        }

        if (values.Count > 1)
        {
            problem = "more than one Authorization header.";
            return null;
        }

        string header = values[0]!;
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            problem = "the Authorization header is not a Bearer token.";
            return null;
        }

        string token = header[BearerPrefix.Length..].Trim();
        if (token.Length == 0)
        {
            problem = "the Bearer token is empty.";
            return null;
        }

        return token;
    }

    private Task WriteProblemAsync(int status, string title, string detail) => Problems.WriteAsync(Context, status, title, detail);
}
