using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Tests;

/// <summary>
/// What a web page on the machine could send without the caller's consent (issue 14, point 9): a DNS-rebound
/// <c>Host</c> in open mode, a body without a preflight (<c>text/plain</c>, no content type), a cross-site
/// <c>Origin</c>; and the origins CORS is configured to allow.
/// </summary>
public sealed class RequestGuardTests
{
    private const string P = "v1/projects/acme";
    private const string RaiseLimit = """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 1000000, "spend": 0 } } }""";

    [Fact]
    public async Task DnsRebinding_AHostThatIsNotLoopback_InOpenMode_Is421_AndChangesNothing()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        HttpClient client = host.CreateClient();
        await SetUpAliceAsync(host.Store);
        string before = await Api.SnapshotAsync(host.Store, "acme");

        // What a page of rebind.evil.example sends once its name resolves to 127.0.0.1.
        using var raise = new HttpRequestMessage(HttpMethod.Post, "set_budget") { Content = Api.Json(RaiseLimit) };
        raise.Headers.Host = "rebind.evil.example";
        using var read = new HttpRequestMessage(HttpMethod.Get, $"{P}/budgets");
        read.Headers.Host = "rebind.evil.example:" + host.BaseAddress.Port;
        using var health = new HttpRequestMessage(HttpMethod.Get, "health");
        health.Headers.Host = "rebind.evil.example";

        foreach (HttpRequestMessage request in new[] { raise, read, health })
        {
            using HttpResponseMessage response = await client.SendAsync(request);
            JsonElement body = await response.ReadJsonAsync();
            Api.AssertProblem(HttpStatusCode.MisdirectedRequest, response.StatusCode, body, response);
            Assert.Contains("rebind.evil.example", Api.Detail(body), StringComparison.Ordinal);
        }

        Assert.Equal(before, await Api.SnapshotAsync(host.Store, "acme"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:1234")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:80")]
    [InlineData("[::1]:5380")]
    public async Task LoopbackHostNames_WithAnyPort_AreServed_InOpenMode(string hostHeader)
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{P}/budgets");
        request.Headers.Host = hostHeader;

        using HttpResponseMessage response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AnyHostName_IsServed_WithApiKeys()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(Keyed());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{P}/budgets");
        request.Headers.Host = "budgets.internal.example";

        using HttpResponseMessage response = await host.CreateClient(Api.AcmeKey).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/json; charset=latin1")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("text/json")]
    public async Task ABodyThatIsNotUtf8Json_Is415_NamingTheContentType_AndChangesNothing(string? contentType)
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        HttpClient client = host.CreateClient();
        await SetUpAliceAsync(host.Store);
        string before = await Api.SnapshotAsync(host.Store, "acme");

        foreach (string path in new[] { "set_budget", $"{P}/charges" })
        {
            string json = path == "set_budget" ? RaiseLimit : """{ "chargeId": "c1", "keys": ["user:alice"], "amount": 1 }""";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            using HttpResponseMessage response = await client.SendAsync(request);

            JsonElement body = await response.ReadJsonAsync();
            Api.AssertProblem(HttpStatusCode.UnsupportedMediaType, response.StatusCode, body, response);
            Assert.Contains(contentType ?? "no Content-Type", Api.Detail(body), StringComparison.Ordinal);
        }

        Assert.Equal(before, await Api.SnapshotAsync(host.Store, "acme"));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=\"utf-8\"")]
    public async Task Utf8Json_IsAccepted_WhateverTheCase(string contentType)
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        await host.Store.SetBudgetAsync("acme", "k", new BudgetDefinition(10m));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{P}/charges")
        {
            Content = new ByteArrayContent("""{ "chargeId": "c1", "keys": ["k"], "amount": 1 }"""u8.ToArray()),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using HttpResponseMessage response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1m, (await host.Store.GetBudgetAsync("acme", "k"))!.Spent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACrossSiteOrigin_Is403_InEveryMode_AndChangesNothing(bool withKeys)
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(withKeys ? Keyed() : null);
        HttpClient client = host.CreateClient(withKeys ? Api.AcmeKey : null);
        await SetUpAliceAsync(host.Store);
        string before = await Api.SnapshotAsync(host.Store, "acme");

        foreach (string origin in new[] { "http://evil.example", "null", $"http://localhost:{host.BaseAddress.Port + 1}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "set_budget") { Content = Api.Json(RaiseLimit) };
            request.Headers.Add("Origin", origin);

            using HttpResponseMessage response = await client.SendAsync(request);

            JsonElement body = await response.ReadJsonAsync();
            Api.AssertProblem(HttpStatusCode.Forbidden, response.StatusCode, body, response);
            Assert.Contains(origin, Api.Detail(body), StringComparison.Ordinal);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }

        Assert.Equal(before, await Api.SnapshotAsync(host.Store, "acme"));
    }

    [Fact]
    public async Task TheServicesOwnLoopbackOrigin_IsServed()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{P}/budgets");
        request.Headers.Add("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));

        using HttpResponseMessage response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AConfiguredOrigin_PassesThePreflight_AndIsServed_WithCorsHeaders()
    {
        var options = Keyed();
        options.Configuration["BudgetServer:Cors:AllowedOrigins:0"] = "https://App.Example.com/";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        await host.Store.SetBudgetAsync("acme", "k", new BudgetDefinition(10m));
        HttpClient client = host.CreateClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"{P}/charges");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
        using HttpResponseMessage allowed = await client.SendAsync(preflight);

        Assert.True(allowed.IsSuccessStatusCode, $"preflight answered {allowed.StatusCode}");
        Assert.Equal("https://app.example.com", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("POST", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);

        using var charge = new HttpRequestMessage(HttpMethod.Post, $"{P}/charges") { Content = Api.Json("""{ "chargeId": "c1", "keys": ["k"], "amount": 1 }""") };
        charge.Headers.Add("Origin", "https://app.example.com");
        charge.Headers.Authorization = Api.Bearer(Api.AcmeKey);
        using HttpResponseMessage served = await client.SendAsync(charge);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("https://app.example.com", Assert.Single(served.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(1m, (await host.Store.GetBudgetAsync("acme", "k"))!.Spent);

        // Another site is still refused, its preflight too.
        using var other = new HttpRequestMessage(HttpMethod.Options, $"{P}/charges");
        other.Headers.Add("Origin", "https://evil.example");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        using HttpResponseMessage refused = await client.SendAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task WithoutConfiguredOrigins_APreflightIsRefused()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"{P}/charges");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        using HttpResponseMessage response = await host.CreateClient().SendAsync(preflight);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("https://app.example.com/path")]
    [InlineData("https://app.example.com?x=1")]
    [InlineData("https://user@app.example.com")]
    [InlineData("*")]
    public async Task AnAllowedOrigin_ThatIsNotAnHttpOrigin_StopsTheStart_NamingTheSetting(string origin)
    {
        var options = new BudgetServerHostOptions();
        options.Configuration["BudgetServer:Cors:AllowedOrigins:0"] = origin;

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => BudgetServerHost.StartAsync(options));

        Assert.Contains("BudgetServer:Cors:AllowedOrigins:0", ex.Message, StringComparison.Ordinal);
    }

    private static BudgetServerHostOptions Keyed()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.GlobexKey));
        return options;
    }

    // Through the store, not a route: what the refused requests would have changed.
    private static async Task SetUpAliceAsync(IBudgetStore store) =>
        await store.SetBudgetAsync("acme", "user:alice", new BudgetDefinition(10m));
}
