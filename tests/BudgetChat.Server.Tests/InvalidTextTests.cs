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
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument answer = JsonDocument.Parse(text);
        JsonElement errors = answer.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out JsonElement messages), $"errors has no '{field}': {text}");
        Assert.Contains(field, messages[0].GetString()!, StringComparison.Ordinal);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }
}
