using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>
/// Text that is not text: a lone UTF-16 surrogate (<c>"\ud800"</c>) or bytes that are not UTF-8, in any string of
/// any body, is a 400 naming the field, and the store is as it was.
/// </summary>
public sealed class InvalidTextTests : IAsyncLifetime
{
    private const string P = "v1/projects/acme";
    private const string Later = "2026-03-10T13:00:00+00:00";

    /// <summary>Where the bad text goes: <c>BAD</c>, inside a JSON string.</summary>
    private static readonly Dictionary<string, (string Method, string Path, string Body, string Field)> Cases = new()
    {
        ["set budget: period"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "period": "BAD" } }""", "definition.period"),
        ["get-or-create: alignment"] = ("POST", $"{P}/budget/get-or-create?key=c", """{ "limit": 5, "alignment": "BAD" }""", "alignment"),
        ["reserve: reservationId"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r-BAD", "keys": ["a"], "amount": 0.1, "expiresAt": "{{Later}}" }""", "reservationId"),
        ["reserve: a key"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["a", "user:BAD"], "amount": 0.1, "expiresAt": "{{Later}}" }""", "keys[1]"),
        ["settle: model"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "r", "actualCost": 0.1, "model": "gpt-BAD" }""", "model"),
        ["release: reservationId"] = ("POST", $"{P}/reservations/release", """{ "reservationId": "BAD" }""", "reservationId"),
        ["renew: reservationId"] = ("POST", $"{P}/reservations/renew", $$"""{ "reservationId": "rBAD", "expiresAt": "{{Later}}" }""", "reservationId"),
        ["charge: a key"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["BAD"], "amount": 0.1 }""", "keys[0]"),
        ["charge: a property name"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a"], "amount": 0.1, "BAD": 1 }""", "body"),
        ["get_budget: project_name"] = ("POST", "get_budget", """{ "project_name": "acmeBAD" }""", "project_name"),
        ["set_budget: a user"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "aliceBAD": { "total_budget": 5 } } }""", "user_dict"),
        ["set_budget: a model"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5, "model_cost": { "BAD": 1 } } } }""", "user_dict.alice.model_cost"),
    };

    /// <summary>The bad text, as it appears between the quotes of a JSON string, in bytes.</summary>
    private static readonly Dictionary<string, byte[]> BadText = new()
    {
        ["an escaped lone high surrogate"] = Encoding.ASCII.GetBytes("\\ud800"),
        ["an escaped lone low surrogate"] = Encoding.ASCII.GetBytes("x\\udc00y"),
        ["a byte that is never UTF-8"] = [0xFF],
        ["a truncated UTF-8 sequence"] = [0xC3, (byte)'x'],
        ["a surrogate encoded as UTF-8"] = [0xED, 0xA0, 0x80],
    };

    private readonly FakeTimeProvider _time = new(Api.Epoch);
    private BudgetServerHost _host = null!;
    private HttpClient _client = null!;

    public static TheoryData<string, string> AllCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in Cases.Keys)
        {
            foreach (string bad in BadText.Keys)
            {
                data.Add(name, bad);
            }
        }

        return data;
    }

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions { TimeProvider = _time };
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        _host = await BudgetServerHost.StartAsync(options);
        _client = _host.CreateClient(Api.AcmeKey);
        await _host.Store.SetBudgetAsync("acme", "a", new BudgetDefinition(1m));
        await _host.Store.SetBudgetAsync("acme", "alice", new BudgetDefinition(1m));
        Assert.True((await _host.Store.ReserveAsync("acme", ["a"], 0.10m, "r", Api.Epoch.AddHours(1))).IsReserved);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [MemberData(nameof(AllCases))]
    public async Task InvalidText_IsA400NamingTheField_AndChangesNothing(string name, string bad)
    {
        (string method, string path, string body, string field) = Cases[name];
        byte[] template = Encoding.UTF8.GetBytes(body);
        int at = body.IndexOf("BAD", StringComparison.Ordinal);
        byte[] bytes = [.. template[..at], .. BadText[bad], .. template[(at + 3)..]];
        string before = await Api.SnapshotAsync(_host.Store, "acme");
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content };

        using HttpResponseMessage response = await _client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(Api.ErrorMediaType(response), response.Content.Headers.ContentType?.MediaType);
        using JsonDocument answer = JsonDocument.Parse(text);
        JsonElement errors = answer.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out JsonElement messages), $"errors has no '{field}': {text}");
        Assert.Contains(field, messages[0].GetString()!, StringComparison.Ordinal);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    /// <summary>The routes that take the budget key in the query, with the key at <c>KEY</c>.</summary>
    private static readonly Dictionary<string, (string Method, string Path, string? Body)> KeyRoutes = new()
    {
        ["get budget"] = ("GET", $"{P}/budget?key=KEY", null),
        ["set budget"] = ("PUT", $"{P}/budget?key=KEY", """{ "definition": { "limit": 5 } }"""),
        ["get-or-create"] = ("POST", $"{P}/budget/get-or-create?key=KEY", """{ "limit": 5 }"""),
        ["delete budget"] = ("DELETE", $"{P}/budget?key=KEY", null),
        ["reset budget"] = ("POST", $"{P}/budget/reset?key=KEY", null),
    };

    /// <summary>Percent-encoded bytes that are not UTF-8; decoded leniently, each would become U+FFFD.</summary>
    private static readonly string[] BadEncodedText =
    [
        "%FF", // never UTF-8
        "user%3A%FE", // in a key that is otherwise text
        "%ED%A0%80", // a surrogate encoded as UTF-8
        "%C3", // truncated at the end
        "%C3x", // truncated in the middle
        "%C0%AF", // overlong
        "%F4%90%80%80", // beyond U+10FFFF
    ];

    public static TheoryData<string, string> KeyRoutesAndBadText()
    {
        var data = new TheoryData<string, string>();
        foreach (string route in KeyRoutes.Keys)
        {
            foreach (string bad in BadEncodedText)
            {
                data.Add(route, bad);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KeyRoutesAndBadText))]
    public async Task InvalidTextInTheQueryKey_IsA400NamingKey_AndChangesNothing(string route, string bad)
    {
        (string method, string path, string? body) = KeyRoutes[route];
        string before = await Api.SnapshotAsync(_host.Store, "acme");

        (HttpStatusCode status, string text) = await SendAsync(method, path.Replace("KEY", bad, StringComparison.Ordinal), body);

        AssertNames("key", status, text);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    [Fact]
    public async Task AnInvalidEscape_IsNotTheKeyOfItsOwnText()
    {
        // ASP.NET Core leaves an escape that is not UTF-8 as it was: ?key=%FF would read as the key "%FF", which ?key=%25FF names.
        (HttpStatusCode created, string text) = await SendAsync("PUT", $"{P}/budget?key=%25FF", """{ "definition": { "limit": 5 } }""");
        Assert.True(created == HttpStatusCode.OK, $"{(int)created}: {text}");

        foreach (string method in (string[])["GET", "DELETE"])
        {
            (HttpStatusCode status, string answer) = await SendAsync(method, $"{P}/budget?key=%FF", null);
            AssertNames("key", status, answer);
        }

        Assert.Equal(5m, (await _host.Store.GetBudgetAsync("acme", "%FF"))!.Limit);
    }

    [Theory]
    [InlineData("%C3%A9", "\u00e9")]
    [InlineData("user%3A%F0%9F%98%80", "user:\U0001F600")]
    [InlineData("%EF%BF%BD", "\uFFFD")]
    public async Task PercentEncodedUtf8InTheQueryKey_IsTheKeySent(string encoded, string key)
    {
        (HttpStatusCode status, string text) = await SendAsync("PUT", $"{P}/budget?key={encoded}", """{ "definition": { "limit": 5 } }""");

        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {text}");
        Assert.Equal(5m, (await _host.Store.GetBudgetAsync("acme", key))!.Limit);
    }

    [Theory]
    [InlineData("GET", "v1/projects/%FF/budgets", null)]
    [InlineData("GET", "v1/projects/ac%C3me/budget?key=a", null)]
    [InlineData("POST", "v1/projects/%ED%A0%80/charges", """{ "chargeId": "c9", "keys": ["a"], "amount": 0.1 }""")]
    public async Task InvalidTextInTheProject_IsA400NamingProject(string method, string path, string? body)
    {
        (HttpStatusCode status, string text) = await SendAsync(method, path, body);

        AssertNames("project", status, text);
    }

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(string method, string path, string? body)
    {
        // A request target as sent: Uri would leave these escapes alone, but say so explicitly.
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(_host.BaseAddress + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        if (body is not null)
        {
            request.Content = Api.Json(body);
        }

        using HttpResponseMessage response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static void AssertNames(string field, HttpStatusCode status, string text)
    {
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {text}");
        using JsonDocument answer = JsonDocument.Parse(text);
        JsonElement errors = answer.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out JsonElement messages), $"errors has no '{field}': {text}");
        Assert.Contains($"'{field}'", messages[0].GetString()!, StringComparison.Ordinal);
    }
}
