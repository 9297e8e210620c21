using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Server.Tests;

/// <summary>
/// The access matrix: every route the service maps × every kind of caller, with the status each must get. Routes are
/// enumerated from the application itself, so a route added without an entry here fails the test (the dashboard's
/// pages, which sign in with a cookie, have their own matrix in BudgetChat.Dashboard.Tests).
/// </summary>
public sealed class AccessMatrixTests
{
    private const string AcmeEnforceKey = "acme-enforce-key-0123456789";
    private const string AcmeAdminKey = "acme-admin-key-0123456789ab";
    private const string GlobexEnforceKey = "globex-enforce-key-987654321";
    private const string GlobexAdminKey = "globex-admin-key-987654321ab";
    private const string WrongKey = "not-a-configured-key-000111";

    private enum Needs
    {
        Nothing,
        Enforce,
        Admin,
    }

    /// <summary>Where a route names its project: nowhere, in the route (checked first), or in the body (checked after the role).</summary>
    private enum Scope
    {
        None,
        Route,
        Body,
    }

    private enum Outcome
    {
        Allowed,
        Unauthorized,
        Forbidden,
    }

    /// <summary>What each route needs, by method (<c>*</c>: any, tried with GET) and route pattern; <c>{id}</c> in a path or body is a fresh id per request.</summary>
    private static readonly Dictionary<string, (Needs Needs, Scope Scope, string Path, string? Body)> Routes = new(StringComparer.Ordinal)
    {
        ["GET /v1/projects/{project}/budgets"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/budgets", null),
        ["GET /v1/projects/{project}/budget"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/budget?key=global", null),
        ["PUT /v1/projects/{project}/budget"] = (Needs.Admin, Scope.Route, "v1/projects/acme/budget?key=user%3A{id}", """{ "definition": { "limit": 1 } }"""),
        ["POST /v1/projects/{project}/budget/get-or-create"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/budget/get-or-create?key=user%3A{id}", """{ "limit": 1 }"""),
        ["DELETE /v1/projects/{project}/budget"] = (Needs.Admin, Scope.Route, "v1/projects/acme/budget?key=user%3Adoomed", null),
        ["POST /v1/projects/{project}/budget/reset"] = (Needs.Admin, Scope.Route, "v1/projects/acme/budget/reset?key=global", null),
        ["POST /v1/projects/{project}/reservations"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/reservations", """{ "reservationId": "{id}", "keys": ["global"], "amount": 0.001, "expiresAt": "{expiresAt}" }"""),
        ["POST /v1/projects/{project}/reservations/settle"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/reservations/settle", """{ "reservationId": "{id}", "actualCost": 0.001 }"""),
        ["POST /v1/projects/{project}/reservations/release"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/reservations/release", """{ "reservationId": "{id}" }"""),
        ["POST /v1/projects/{project}/reservations/renew"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/reservations/renew", """{ "reservationId": "{id}", "expiresAt": "{expiresAt}" }"""),
        ["POST /v1/projects/{project}/charges"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/charges", """{ "chargeId": "{id}", "keys": ["global"], "amount": 0.001 }"""),
        ["POST /v1/projects/{project}/sweep"] = (Needs.Admin, Scope.Route, "v1/projects/acme/sweep", null),
        ["POST /v1/sweep"] = (Needs.Admin, Scope.None, "v1/sweep", null),
        ["GET /v1/projects/{project}/spend"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/spend?groupBy=user", null),
        ["POST /v1/projects/{project}/spend"] = (Needs.Enforce, Scope.Route, "v1/projects/acme/spend", """{ "keys": ["global"], "outcome": "refused", "id": "{id}" }"""),
        ["POST /get_budget"] = (Needs.Enforce, Scope.Body, "get_budget", """{ "project_name": "acme" }"""),
        ["POST /set_budget"] = (Needs.Admin, Scope.Body, "set_budget", """{ "project_name": "acme", "user_dict": { "u1": { "total_budget": 5, "current_cost": 0 } } }"""),
        ["* /health"] = (Needs.Nothing, Scope.None, "health", null),
        ["GET /openapi/{documentName}.json"] = (Needs.Nothing, Scope.None, "openapi/v1.json", null),
    };

    private static readonly (string Name, string? Key, string? Project, BudgetServerKeyRole Role)[] Callers =
    [
        ("no key", null, null, default),
        ("wrong key", WrongKey, null, default),
        ("other project's enforce key", GlobexEnforceKey, "globex", BudgetServerKeyRole.Enforce),
        ("other project's admin key", GlobexAdminKey, "globex", BudgetServerKeyRole.Admin),
        ("enforce key", AcmeEnforceKey, "acme", BudgetServerKeyRole.Enforce),
        ("admin key", AcmeAdminKey, "acme", BudgetServerKeyRole.Admin),
    ];

    [Fact]
    public async Task EveryRoute_AnswersEveryCaller_AsItsKeyAndRoleAllow()
    {
        var options = new BudgetServerHostOptions();
        AddKey(options, "acme", AcmeEnforceKey, "enforce");
        AddKey(options, "acme", AcmeAdminKey, "admin");
        AddKey(options, "globex", GlobexEnforceKey, null); // enforce by default
        AddKey(options, "globex", GlobexAdminKey, "Admin"); // case-insensitive

        // Who may do what does not depend on the store; the in-memory one serves every route, the spend ledger's included.
        options.Store = new InMemoryBudgetStore();
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        await host.Store.SetBudgetAsync("acme", "global", new BudgetDefinition(1000m));
        await host.Store.SetBudgetAsync("acme", "user:u1", new BudgetDefinition(5m));

        var failures = new List<string>();
        foreach ((string route, (Needs needs, Scope scope, string path, string? body)) in MappedRoutes(host))
        {
            foreach ((string name, string? key, string? project, BudgetServerKeyRole role) in Callers)
            {
                // The refusal's detail names the project, or the role the key lacks.
                (Outcome expected, string? detailNames) =
                    needs == Needs.Nothing ? (Outcome.Allowed, null)
                    : project is null ? (Outcome.Unauthorized, null)
                    : scope == Scope.Route && project != "acme" ? (Outcome.Forbidden, "'acme'")
                    : needs == Needs.Admin && role != BudgetServerKeyRole.Admin ? (Outcome.Forbidden, "role 'enforce'")
                    : scope == Scope.Body && project != "acme" ? (Outcome.Forbidden, "'acme'")
                    : (Outcome.Allowed, null);
                await CheckAsync(host, host.CreateClient(key), route, path, body, expected, detailNames, $"{route} with {name}", failures);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task InOpenMode_EveryRoute_IsAllowedWithoutAKey()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = new InMemoryBudgetStore() });
        await host.Store.SetBudgetAsync("acme", "global", new BudgetDefinition(1000m));

        var failures = new List<string>();
        foreach ((string route, (_, _, string path, string? body)) in MappedRoutes(host))
        {
            await CheckAsync(host, host.CreateClient(), route, path, body, Outcome.Allowed, null, $"{route} in open mode", failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static void AddKey(BudgetServerHostOptions options, string project, string key, string? role)
    {
        int index = options.ApiKeys.Count;
        options.ApiKeys.Add((project, key));
        options.Configuration[$"BudgetServer:ApiKeys:{index}:Role"] = role;
    }

    /// <summary>Every route of the application with its entry; fails for a route without one, and for an entry no route has.</summary>
    private static List<(string Route, (Needs, Scope, string, string?) Entry)> MappedRoutes(BudgetServerHost host)
    {
        var mapped = new List<(string, (Needs, Scope, string, string?))>();
        var missing = new List<string>();
        foreach (RouteEndpoint endpoint in host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            // The dashboard's pages sign in with a cookie, not a key: their matrix is BudgetChat.Dashboard.Tests' DashboardAccessMatrixTests.
            if (endpoint.RoutePattern.RawText?.TrimStart('/').StartsWith("dashboard", StringComparison.Ordinal) == true)
            {
                continue;
            }

            foreach (string method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
            {
                string route = $"{method} {endpoint.RoutePattern.RawText}";
                if (Routes.TryGetValue(route, out var entry))
                {
                    mapped.Add((route, entry));
                }
                else
                {
                    missing.Add(route);
                }
            }
        }

        Assert.True(missing.Count == 0, "Routes without an entry in the access matrix: " + string.Join(", ", missing));
        Assert.Equal(Routes.Keys.Order(StringComparer.Ordinal), mapped.Select(r => r.Item1).Order(StringComparer.Ordinal));
        return mapped;
    }

    private static async Task CheckAsync(
        BudgetServerHost host, HttpClient client, string route, string path, string? body, Outcome expected, string? detailNames, string cell, List<string> failures)
    {
        string id = "m" + Guid.NewGuid().ToString("N");
        string expiresAt = DateTimeOffset.UtcNow.AddMinutes(10).ToString("O", CultureInfo.InvariantCulture);
        string before = await SnapshotAsync(host);

        string method = route[..route.IndexOf(' ', StringComparison.Ordinal)];
        var (status, answer, response) = await client.SendJsonAsync(
            method == "*" ? HttpMethod.Get : new HttpMethod(method),
            path.Replace("{id}", id, StringComparison.Ordinal),
            body?.Replace("{id}", id, StringComparison.Ordinal).Replace("{expiresAt}", expiresAt, StringComparison.Ordinal));

        bool ok = expected switch
        {
            Outcome.Unauthorized => status == HttpStatusCode.Unauthorized,
            Outcome.Forbidden => status == HttpStatusCode.Forbidden,
            _ => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)status < 500,
        };
        if (!ok)
        {
            failures.Add($"{cell}: expected {expected}, got {(int)status} {Describe(answer)}");
            return;
        }

        if (expected == Outcome.Allowed)
        {
            return;
        }

        // A refusal is a ProblemDetails (LiteLLM's status error on its routes) that says why, and changes nothing.
        string? detail = Api.Detail(answer);
        if (response.Content.Headers.ContentType?.MediaType != Api.ErrorMediaType(response) || detail is null)
        {
            failures.Add($"{cell}: {(int)status} is not an error answer with a detail");
        }
        else if (detailNames is not null && !detail.Contains(detailNames, StringComparison.Ordinal))
        {
            failures.Add($"{cell}: the detail does not name {detailNames}: {detail}");
        }

        if (await SnapshotAsync(host) != before)
        {
            failures.Add($"{cell}: refused with {(int)status}, but the store changed");
        }
    }

    // The budgets and the spend records of both projects: a refused request appends no record either.
    private static async Task<string> SnapshotAsync(BudgetServerHost host) =>
        await Api.SnapshotAsync(host.Store, "acme") + "\n--\n" + await Api.SnapshotAsync(host.Store, "globex")
        + "\n--\n" + await SpendAsync(host.Store, "acme") + "\n--\n" + await SpendAsync(host.Store, "globex");

    private static async Task<string> SpendAsync(IBudgetStore store, string project) =>
        store is IBudgetSpendLog log
            ? string.Join("\n", (await log.QuerySpendAsync(project, new BudgetSpendQuery { Limit = BudgetSpendQuery.MaxLimit })).Records)
            : string.Empty;

    private static string Describe(JsonElement answer) => Api.Detail(answer) ?? string.Empty;
}
