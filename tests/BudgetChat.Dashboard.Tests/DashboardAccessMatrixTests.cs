using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// The dashboard's access matrix: every page the service maps under <c>/dashboard</c> × every kind of visitor, with what
/// each must get. Pages are enumerated from the application, so a page added without an entry here fails the test.
/// </summary>
[Collection(DashboardServerFixtureGroup.Name)]
public sealed class DashboardAccessMatrixTests(DashboardFixture fixture)
{
    private enum Needs
    {
        Nothing,
        SignedIn,
        Read,
        Admin,
    }

    private enum Outcome
    {
        Allowed,
        SignIn,
        Denied,
    }

    /// <summary>What each page needs, by method (<c>*</c>: any, tried with GET) and route pattern, and the address tried.</summary>
    private static readonly Dictionary<string, (Needs Needs, string Path)> Pages = new(StringComparer.Ordinal)
    {
        ["* dashboard"] = (Needs.SignedIn, "/dashboard"),
        ["* dashboard/sign-in"] = (Needs.Nothing, "/dashboard/sign-in"),
        ["* dashboard/sign-out"] = (Needs.SignedIn, "/dashboard/sign-out"),
        ["* dashboard/denied"] = (Needs.Nothing, "/dashboard/denied"),
        ["* dashboard/projects/{project}"] = (Needs.Read, "/dashboard/projects/acme"),
        ["* dashboard/projects/{project}/log"] = (Needs.Read, "/dashboard/projects/acme/log"),
        ["* dashboard/projects/{project}/records/{sequence:long}"] = (Needs.Read, "/dashboard/projects/acme/records/1"),
        ["* dashboard/projects/{project}/budgets/new"] = (Needs.Admin, "/dashboard/projects/acme/budgets/new"),
        ["* dashboard/projects/{project}/budgets/edit"] = (Needs.Admin, "/dashboard/projects/acme/budgets/edit?key=global"),
        ["GET /dashboard/dashboard.css"] = (Needs.Nothing, "/dashboard/dashboard.css"),
    };

    /// <summary>The visitors: signed in with a key (its project and whether it is an admin key), or not, perhaps with a key as a bearer token.</summary>
    private static readonly (string Name, string? SignInKey, string? BearerKey, string? Project, bool Admin)[] Visitors =
    [
        ("anonymous", null, null, null, false),
        ("an API key as bearer token, not signed in", null, DashboardFixture.AdminKey, null, false),
        ("signed in with another project's admin key", DashboardFixture.OtherKey, null, "other", true),
        ("signed in with the project's enforce key", DashboardFixture.ReadKey, null, "acme", false),
        ("signed in with the project's admin key", DashboardFixture.AdminKey, null, "acme", true),
    ];

    [Fact]
    public async Task EveryPage_AnswersEveryVisitor_AsTheirKeyAllows()
    {
        var failures = new List<string>();
        foreach ((string name, string? signInKey, string? bearerKey, string? project, bool admin) in Visitors)
        {
            using var client = new DashboardClient(fixture.Host.BaseAddress);
            if (signInKey is not null)
            {
                using HttpResponseMessage signedIn = await client.SignInAsync(signInKey);
                Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            }

            if (bearerKey is not null)
            {
                client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerKey);
            }

            foreach ((string page, (Needs needs, string path)) in MappedPages())
            {
                Outcome expected =
                    needs == Needs.Nothing ? Outcome.Allowed
                    : project is null ? Outcome.SignIn
                    : needs == Needs.SignedIn ? Outcome.Allowed
                    : project != "acme" || (needs == Needs.Admin && !admin) ? Outcome.Denied
                    : Outcome.Allowed;
                using HttpResponseMessage answer = await client.Http.GetAsync(path);
                string? location = answer.Headers.Location is { } to ? (to.IsAbsoluteUri ? to.PathAndQuery : to.OriginalString) : null;
                Outcome actual =
                    answer.StatusCode == HttpStatusCode.Redirect && location!.StartsWith("/dashboard/sign-in", StringComparison.Ordinal) ? Outcome.SignIn
                    : answer.StatusCode == HttpStatusCode.Redirect && location!.StartsWith("/dashboard/denied", StringComparison.Ordinal) ? Outcome.Denied
                    : Outcome.Allowed;
                if (actual != expected || (int)answer.StatusCode >= 500)
                {
                    failures.Add($"{page} for {name}: expected {expected}, got {(int)answer.StatusCode} {location}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Every page of the dashboard with its entry; fails for a page without one, and for an entry no page has.</summary>
    private List<(string Page, (Needs, string) Entry)> MappedPages()
    {
        var mapped = new List<(string, (Needs, string))>();
        var missing = new List<string>();
        foreach (RouteEndpoint endpoint in fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.RoutePattern.RawText?.TrimStart('/').StartsWith("dashboard", StringComparison.Ordinal) != true)
            {
                continue;
            }

            foreach (string method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
            {
                string page = $"{method} {endpoint.RoutePattern.RawText}";
                if (Pages.TryGetValue(page, out var entry))
                {
                    mapped.Add((page, entry));
                }
                else
                {
                    missing.Add(page);
                }
            }
        }

        Assert.True(missing.Count == 0, "Pages without an entry in the access matrix: " + string.Join(", ", missing));
        Assert.Equal(Pages.Keys.Order(StringComparer.Ordinal), mapped.Select(p => p.Item1).Order(StringComparer.Ordinal));
        return mapped;
    }
}
