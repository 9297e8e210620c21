using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BudgetChat.Tests;

namespace BudgetChat.Server.Tests;

/// <summary>
/// Every error of LiteLLM's routes, whoever raises it (authentication, authorization, the request guard, the rate
/// limit, the body limit, the reader, routing, the endpoint), is answered in LiteLLM's shape with its HTTP status
/// code, and read as LiteLLM's hosted client reads an answer: <c>status</c> is the string <c>"error"</c>, else it
/// takes <c>data</c>. A ProblemDetails (<c>"status": 401</c>) raises <c>KeyError: 'data'</c> in its constructor.
/// </summary>
public sealed class LiteLlmErrorShapeTests(LiteLlmErrorShapeTests.Hosts hosts) : IClassFixture<LiteLlmErrorShapeTests.Hosts>
{
    private const int BodyLimit = 100_000;
    private const string EnforceKey = "acme-enforce-key-0123456789";

    public static TheoryData<string, string> Errors()
    {
        var data = new TheoryData<string, string>();
        foreach (string route in (string[])["get_budget", "set_budget"])
        {
            foreach ((string name, ErrorCase error) in Cases)
            {
                if (error.Route is null || error.Route == route)
                {
                    data.Add(route, name);
                }
            }
        }

        return data;
    }

    internal enum Host
    {
        Keyed,
        Open,
        RateLimited,
        WithoutTransactions,
    }

    /// <summary>One kind of error: on which host, the request (to the route given), the status; <see cref="Route"/> when it exists on one route only.</summary>
    private sealed record ErrorCase(Host Host, Func<string, HttpRequestMessage> Request, HttpStatusCode Status, string? Route = null);

    private static readonly Dictionary<string, ErrorCase> Cases = new()
    {
        ["401, no key"] = new(Host.Keyed, route => Post(route, Valid(route), key: null), HttpStatusCode.Unauthorized),
        ["401, a wrong key"] = new(Host.Keyed, route => Post(route, Valid(route), key: "not-a-key-of-this-service"), HttpStatusCode.Unauthorized),
        ["403, another project's key"] = new(Host.Keyed, route => Post(route, Valid(route), key: Api.GlobexKey), HttpStatusCode.Forbidden),
        ["403, an enforce key"] = new(Host.Keyed, route => Post(route, Valid(route), key: EnforceKey), HttpStatusCode.Forbidden, Route: "set_budget"),
        ["403, a cross-site Origin"] = new(Host.Keyed, route => WithHeader(Post(route, Valid(route)), "Origin", "http://evil.example"), HttpStatusCode.Forbidden),
        ["415, text/plain"] = new(Host.Keyed, route => Post(route, Valid(route), contentType: "text/plain"), HttpStatusCode.UnsupportedMediaType),
        ["400, a query that is not UTF-8"] = new(Host.Keyed, route => Post(route + "?x=%FF", Valid(route)), HttpStatusCode.BadRequest),
        ["400, an unknown member"] = new(Host.Keyed, route => Post(route, Valid(route)[..^1] + """, "extra": 1 }"""), HttpStatusCode.BadRequest),
        ["400, a repeated member"] = new(Host.Keyed, route => Post(route, Valid(route)[..^1] + """, "project_name": "acme" }"""), HttpStatusCode.BadRequest),
        ["400, a lone surrogate"] = new(Host.Keyed, route => Post(route, """{ "project_name": "acme\ud800" }"""), HttpStatusCode.BadRequest),
        ["400, not JSON"] = new(Host.Keyed, route => Post(route, "{ project_name"), HttpStatusCode.BadRequest),
        ["400, empty"] = new(Host.Keyed, route => Post(route, string.Empty), HttpStatusCode.BadRequest),
        ["413, over the limit"] = new(Host.Keyed, route => Post(route, Padded(BodyLimit + 1)), HttpStatusCode.RequestEntityTooLarge),
        ["413, over the limit, chunked"] = new(Host.Keyed, route => Post(route, Padded(BodyLimit + 1), chunked: true), HttpStatusCode.RequestEntityTooLarge),
        ["405, GET"] = new(Host.Keyed, route => new HttpRequestMessage(HttpMethod.Get, route), HttpStatusCode.MethodNotAllowed),
        ["421, a Host that is not loopback in open mode"] = new(Host.Open, route => WithHost(Post(route, Valid(route), key: null), "rebind.evil.example"), HttpStatusCode.MisdirectedRequest),
        ["429, over the rate"] = new(Host.RateLimited, route => Post(route, Valid(route)), HttpStatusCode.TooManyRequests),
        ["501, a store without transactions"] = new(Host.WithoutTransactions, route => Post(route, Valid(route)), HttpStatusCode.NotImplemented, Route: "set_budget"),
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task AnError_IsLiteLlmsStatusError_WithItsHttpStatus(string route, string name)
    {
        ErrorCase error = Cases[name];
        BudgetServerHost host = hosts.For(error.Host);
        using HttpClient client = new() { BaseAddress = host.BaseAddress };
        if (error.Host == Host.RateLimited)
        {
            // The bucket holds one request and never refills while the tests run: one request empties it.
            using HttpResponseMessage first = await client.SendAsync(Post(route, Valid(route)));
        }

        using HttpRequestMessage request = error.Request(route);
        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == error.Status, $"{route}, {name}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        string message = ReadAsLiteLlm(text);
        Assert.False(string.IsNullOrWhiteSpace(message), $"{route}, {name}: {text}");
        if (error.Status == HttpStatusCode.Unauthorized)
        {
            Assert.NotEmpty(response.Headers.WwwAuthenticate);
        }
    }

    [Theory]
    [InlineData("set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5, "max_budget": 1 } } }""", "user_dict.alice.max_budget")]
    [InlineData("set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": -5 } } }""", "user_dict.alice.total_budget")]
    [InlineData("get_budget", """{ "project_name": "acme", "user": "alice" }""", "user")]
    public async Task ABadBody_SaysWhichFieldIsAtFault_InTheMessage(string route, string json, string field)
    {
        using HttpClient client = new() { BaseAddress = hosts.For(Host.Keyed).BaseAddress };

        using HttpResponseMessage response = await client.SendAsync(Post(route, json));
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"'{field}'", ReadAsLiteLlm(text), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheV1Routes_KeepProblemDetails()
    {
        using HttpClient client = new() { BaseAddress = hosts.For(Host.Keyed).BaseAddress };

        var (status, body, response) = await client.GetJsonAsync("v1/projects/acme/budgets");

        Api.AssertProblem(HttpStatusCode.Unauthorized, status, body, response);
    }

    [Fact]
    public async Task TheOpenApiDocument_DescribesLiteLlmsErrorShape_OnItsRoutes()
    {
        using HttpClient client = new() { BaseAddress = hosts.For(Host.Open).BaseAddress };

        var (_, document, _) = await client.GetJsonAsync("openapi/v1.json");

        foreach (string path in (string[])["/get_budget", "/set_budget"])
        {
            JsonElement unauthorized = document.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("responses").GetProperty("401");
            JsonElement content = unauthorized.GetProperty("content");
            Assert.Equal(["application/json"], content.EnumerateObject().Select(p => p.Name));
            Assert.Contains("LiteLlmErrorResponse", content.GetRawText(), StringComparison.Ordinal);
        }
    }

    /// <summary>What LiteLLM's <c>load_data</c> does with an answer: <c>status == "error"</c>, or it reads <c>data</c>.</summary>
    private static string ReadAsLiteLlm(string text)
    {
        using JsonDocument document = JsonDocument.Parse(text);
        JsonElement answer = document.RootElement;
        Assert.Equal(JsonValueKind.Object, answer.ValueKind);
        Assert.True(
            answer.TryGetProperty("status", out JsonElement status) && status.ValueKind == JsonValueKind.String && status.GetString() == "error",
            $"LiteLLM would read 'data' of this answer and fail: {text}");
        Assert.True(answer.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.String, $"No message: {text}");
        return message.GetString()!;
    }

    private static string Valid(string route) => route == "get_budget"
        ? """{ "project_name": "acme" }"""
        : """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5 } } }""";

    private static string Padded(int length)
    {
        const string Head = """{ "project_name": "acme", "pad": """;
        return Head + "\"" + new string('x', length - Head.Length - 3) + "\"}";
    }

    private static HttpRequestMessage Post(string route, string body, string? key = Api.AcmeKey, string contentType = "application/json", bool chunked = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TransferEncodingChunked = chunked;
        if (key is not null)
        {
            request.Headers.Authorization = Api.Bearer(key);
        }

        return request;
    }

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Add(name, value);
        return request;
    }

    private static HttpRequestMessage WithHost(HttpRequestMessage request, string host)
    {
        request.Headers.Host = host;
        return request;
    }

    /// <summary>The hosts the cases run on, started once for the class.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
        private readonly Dictionary<Host, BudgetServerHost> _hosts = [];

        internal BudgetServerHost For(Host host) => _hosts[host];

        public async Task InitializeAsync()
        {
            var keyed = new BudgetServerHostOptions();
            keyed.ApiKeys.Add(("acme", Api.AcmeKey));
            keyed.ApiKeys.Add(("globex", Api.GlobexKey));
            keyed.Configuration["BudgetServer:ApiKeys:2:Role"] = "enforce";
            keyed.ApiKeys.Add(("acme", EnforceKey));
            keyed.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0";
            keyed.Configuration["BudgetServer:MaxLiteLlmBodyBytes"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _hosts[Host.Keyed] = await BudgetServerHost.StartAsync(keyed);
            await _hosts[Host.Keyed].Store.SetBudgetAsync("acme", "user:alice", new BudgetDefinition(5m));

            _hosts[Host.Open] = await BudgetServerHost.StartAsync(new BudgetServerHostOptions());

            var limited = new BudgetServerHostOptions();
            limited.ApiKeys.Add(("acme", Api.AcmeKey));
            limited.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0.001";
            limited.Configuration["BudgetServer:Limits:Burst"] = "1";
            _hosts[Host.RateLimited] = await BudgetServerHost.StartAsync(limited);

            var withoutTransactions = new BudgetServerHostOptions { Store = new OutageStore(new InMemoryBudgetStore()) };
            withoutTransactions.ApiKeys.Add(("acme", Api.AcmeKey));
            _hosts[Host.WithoutTransactions] = await BudgetServerHost.StartAsync(withoutTransactions);
        }

        public async Task DisposeAsync()
        {
            foreach (BudgetServerHost host in _hosts.Values)
            {
                await host.DisposeAsync();
            }
        }
    }
}
