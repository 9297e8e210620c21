using System.Net;
using System.Net.Http.Headers;
using BudgetChat.Server.Authentication;
using BudgetChat.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Tests;

/// <summary>API keys bound to projects: 401 without a valid key, 403 on another project, open mode, keys never logged.</summary>
public sealed class AuthenticationTests : IAsyncLifetime
{
    private const string WrongKey = "not-a-configured-key-000111";

    private readonly FakeLogCollector _logs = new();
    private BudgetServerHost _host = null!;

    public static TheoryData<string, string, string?> ProtectedRoutes() => new()
    {
        { "GET", "v1/projects/acme/budgets", null },
        { "GET", "v1/projects/acme/budget?key=global", null },
        { "PUT", "v1/projects/acme/budget?key=global", """{ "definition": { "limit": 1 } }""" },
        { "POST", "v1/projects/acme/budget/get-or-create?key=global", """{ "limit": 1 }""" },
        { "DELETE", "v1/projects/acme/budget?key=global", null },
        { "POST", "v1/projects/acme/budget/reset?key=global", null },
        { "POST", "v1/projects/acme/reservations", """{ "reservationId": "r9", "keys": ["global"], "amount": 0.1, "expiresAt": "2030-01-01T00:00:00Z" }""" },
        { "POST", "v1/projects/acme/reservations/settle", """{ "reservationId": "r1", "actualCost": 0.1 }""" },
        { "POST", "v1/projects/acme/reservations/release", """{ "reservationId": "r1" }""" },
        { "POST", "v1/projects/acme/charges", """{ "chargeId": "c9", "keys": ["global"], "amount": 0.1 }""" },
        { "POST", "v1/projects/acme/sweep", null },
        { "POST", "get_budget", """{ "project_name": "acme" }""" },
        { "POST", "set_budget", """{ "project_name": "acme", "user_dict": {} }""" },
    };

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions
        {
            ConfigureBuilder = builder => builder.Logging.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Trace),
        };
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.GlobexKey));
        _host = await BudgetServerHost.StartAsync(options);
        await _host.Store.SetBudgetAsync("acme", "global", new BudgetDefinition(5m));
        Assert.True((await _host.Store.ReserveAsync("acme", ["global"], 0.5m, "r1", DateTimeOffset.UtcNow.AddHours(1))).IsReserved);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task WithoutAKey_Is401WithABearerChallenge_AndChangesNothing(string method, string path, string? json)
    {
        string before = await Api.SnapshotAsync(_host.Store, "acme");

        var (status, body, response) = await _host.CreateClient().SendJsonAsync(new HttpMethod(method), path, json);

        Api.AssertProblem(HttpStatusCode.Unauthorized, status, body, response);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task WithAnUnknownKey_Is401WithInvalidToken_AndChangesNothing(string method, string path, string? json)
    {
        string before = await Api.SnapshotAsync(_host.Store, "acme");

        var (status, body, response) = await _host.CreateClient(WrongKey).SendJsonAsync(new HttpMethod(method), path, json);

        Api.AssertProblem(HttpStatusCode.Unauthorized, status, body, response);
        AuthenticationHeaderValue challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("invalid_token", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task WithAnotherProjectsKey_Is403_AndChangesNothing(string method, string path, string? json)
    {
        string before = await Api.SnapshotAsync(_host.Store, "acme");

        var (status, body, response) = await _host.CreateClient(Api.GlobexKey).SendJsonAsync(new HttpMethod(method), path, json);

        Api.AssertProblem(HttpStatusCode.Forbidden, status, body, response);
        Assert.Contains("acme", Api.Detail(body), StringComparison.Ordinal);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    [Theory]
    [InlineData("Basic YWNtZTpzZWNyZXQ=")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("acme-secret-key-0123456789")]
    public async Task AMalformedAuthorizationHeader_Is401(string header)
    {
        using HttpClient client = _host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/projects/acme/budgets");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", header));

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TheProjectsKey_OpensItsOwnRoutes_AndTheBearerSchemeIsCaseInsensitive()
    {
        using HttpClient client = _host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/projects/acme/budgets");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", "bearer " + Api.AcmeKey));

        using HttpResponseMessage response = await client.SendAsync(request);
        var (globexStatus, _, _) = await _host.CreateClient(Api.GlobexKey).GetJsonAsync("v1/projects/globex/budgets");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, globexStatus);
    }

    [Fact]
    public async Task AKeyThatStartsLikeAValidKey_IsNotValid()
    {
        var (prefix, _, _) = await _host.CreateClient(Api.AcmeKey[..^1]).GetJsonAsync("v1/projects/acme/budgets");
        var (longer, _, _) = await _host.CreateClient(Api.AcmeKey + "0").GetJsonAsync("v1/projects/acme/budgets");

        Assert.Equal(HttpStatusCode.Unauthorized, prefix);
        Assert.Equal(HttpStatusCode.Unauthorized, longer);
    }

    [Fact]
    public async Task HealthAndOpenApi_NeedNoKey()
    {
        using HttpClient client = _host.CreateClient();

        using HttpResponseMessage health = await client.GetAsync(new Uri("health", UriKind.Relative));
        using HttpResponseMessage openApi = await client.GetAsync(new Uri("openapi/v1.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
    }

    [Fact]
    public async Task NoKey_EverAppearsInTheLogs_WhateverTheRequest()
    {
        foreach (string? key in new[] { Api.AcmeKey, Api.GlobexKey, WrongKey, null })
        {
            foreach (object?[] route in ProtectedRoutes())
            {
                await _host.CreateClient(key).SendJsonAsync(new HttpMethod((string)route[0]!), (string)route[1]!, (string?)route[2]);
            }
        }

        IReadOnlyList<FakeLogRecord> records = _logs.GetSnapshot();
        Assert.NotEmpty(records);
        Assert.Contains(records, r => r.Level == LogLevel.Information && r.Message.Contains("refused", StringComparison.Ordinal));
        foreach (FakeLogRecord record in records)
        {
            string everything = string.Join("\n", [
                record.Message,
                record.Exception?.ToString() ?? string.Empty,
                .. record.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? [],
                .. record.Scopes.Select(s => s?.ToString() ?? string.Empty)]);
            foreach (string secret in new[] { Api.AcmeKey, Api.GlobexKey, WrongKey })
            {
                Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Registry_FindsTheProjectAndRoleOfEachKey_AndNoneForAnUnknownKey()
    {
        var options = new BudgetServerOptions();
        options.ApiKeys.Add(new BudgetServerApiKey { Project = "acme", Key = Api.AcmeKey, Role = BudgetServerKeyRole.Admin });
        options.ApiKeys.Add(new BudgetServerApiKey { Project = "globex", Key = Api.GlobexKey });
        options.ApiKeys.Add(new BudgetServerApiKey { Project = "acme", Key = "second-acme-key-abcdefgh" });
        var registry = new ApiKeyRegistry(Options.Create(options));

        Assert.False(registry.IsOpen);
        Assert.Equal(2, registry.ProjectCount);
        Assert.Equal(new ApiKeyGrant("acme", BudgetServerKeyRole.Admin), registry.Find(Api.AcmeKey));
        Assert.Equal(new ApiKeyGrant("globex", BudgetServerKeyRole.Enforce), registry.Find(Api.GlobexKey));
        Assert.Equal(new ApiKeyGrant("acme", BudgetServerKeyRole.Enforce), registry.Find("second-acme-key-abcdefgh"));
        Assert.Null(registry.Find(WrongKey));
        Assert.Null(registry.Find(string.Empty));
    }
}

/// <summary>No keys configured: every project is open to loopback callers, with a warning at start.</summary>
public sealed class OpenModeTests
{
    [Fact]
    public async Task WithoutKeys_EveryProjectIsOpen_OnLoopback_AndTheStartIsLoggedAsAWarning()
    {
        var logs = new FakeLogCollector();
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions
        {
            ConfigureBuilder = builder => builder.Logging.AddProvider(new FakeLoggerProvider(logs)),
        });
        HttpClient client = host.CreateClient();

        var (put, _, _) = await client.PutJsonAsync("v1/projects/acme/budget?key=global", """{ "definition": { "limit": 1 } }""");
        var (list, body, _) = await client.GetJsonAsync("v1/projects/globex/budgets");
        var (compat, _, _) = await client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");

        Assert.Equal(HttpStatusCode.OK, put);
        Assert.Equal(HttpStatusCode.OK, list);
        Assert.Empty(body.GetProperty("budgets").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, compat);
        FakeLogRecord warning = Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Category == typeof(ListenAddressGuard).FullName);
        Assert.Contains("No API keys", warning.Message, StringComparison.Ordinal);
        Assert.Contains(host.BaseAddress.Authority, warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5380", true)]
    [InlineData("http://127.0.0.2:80", true)]
    [InlineData("http://[::1]:5380", true)]
    [InlineData("http://localhost:5380", true)]
    [InlineData("http://0.0.0.0:5380", false)]
    [InlineData("http://[::]:5380", false)]
    [InlineData("http://*:5380", false)]
    [InlineData("http://+:5380", false)]
    [InlineData("http://192.168.1.10:5380", false)]
    [InlineData("http://example.com:5380", false)]
    [InlineData("not a url", false)]
    public void OpenMode_CountsOnlyLoopbackAddressesAsSafe(string address, bool loopback) =>
        Assert.Equal(loopback, ListenAddressGuard.IsLoopback(address));
}
