using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BudgetChat.Server.Tests;

/// <summary>Small helpers for talking JSON to the server and reading its answers.</summary>
internal static class Api
{
    public const string AcmeKey = "acme-secret-key-0123456789";
    public const string GlobexKey = "globex-secret-key-9876543210";

    /// <summary>Tuesday 2026-03-10 12:00 UTC, as in the store conformance tests.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string Time(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    public static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        using JsonDocument document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Sends a request and returns the status and the parsed body (or default for an empty body).</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendJsonAsync(this HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = Json(json);
        }

        HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.Ordinal))
        {
            using JsonDocument document = JsonDocument.Parse(text);
            body = document.RootElement.Clone();
        }

        return (response.StatusCode, body, response);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.SendJsonAsync(HttpMethod.Post, path, json);

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PutJsonAsync(this HttpClient client, string path, string json) =>
        client.SendJsonAsync(HttpMethod.Put, path, json);

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetJsonAsync(this HttpClient client, string path) =>
        client.SendJsonAsync(HttpMethod.Get, path);

    public static decimal Decimal(this JsonElement element, string property) => element.GetProperty(property).GetDecimal();

    public static string? String(this JsonElement element, string property) => element.GetProperty(property).GetString();

    /// <summary>
    /// Asserts an error answer with the status and a detail: a ProblemDetails (<c>application/problem+json</c>), or on
    /// LiteLLM's routes LiteLLM's <c>{"status": "error", "message": ...}</c>.
    /// </summary>
    public static void AssertProblem(HttpStatusCode expected, HttpStatusCode status, JsonElement body, HttpResponseMessage response)
    {
        Assert.Equal(expected, status);
        if (IsLiteLlmRoute(response))
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("error", body.String("status"));
            Assert.False(string.IsNullOrWhiteSpace(body.String("message")));
            return;
        }

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, body.GetProperty("status").GetInt32());
        if (body.TryGetProperty("detail", out JsonElement detail))
        {
            Assert.False(string.IsNullOrWhiteSpace(detail.GetString()));
        }
    }

    /// <summary>The media type of the service's errors on the route the response answered.</summary>
    public static string ErrorMediaType(HttpResponseMessage response) => IsLiteLlmRoute(response) ? "application/json" : "application/problem+json";

    /// <summary>What an error answer says: a ProblemDetails' <c>detail</c>, or the <c>message</c> of LiteLLM's shape.</summary>
    public static string? Detail(JsonElement body) =>
        body.ValueKind != JsonValueKind.Object ? null
        : body.TryGetProperty("detail", out JsonElement detail) ? detail.GetString()
        : body.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.String ? message.GetString()
        : null;

    private static bool IsLiteLlmRoute(HttpResponseMessage response) =>
        response.RequestMessage?.RequestUri?.AbsolutePath is "/get_budget" or "/set_budget";

    /// <summary>A comparable picture of a project's budgets: everything a request could change.</summary>
    public static async Task<string> SnapshotAsync(IBudgetStore store, string project)
    {
        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(project);
        return string.Join("\n", budgets.Select(b =>
            $"{b.Key}|{b.Limit}|{b.Definition.Period}|{b.Definition.Alignment}|{string.Join(",", b.Definition.AlertThresholds)}|{b.Definition.Enforcement}|{b.Spent}|{b.Reserved}|{b.WindowStart:O}|{b.WindowEnd:O}|{b.CreatedAt:O}|{b.UpdatedAt:O}|" +
            string.Join(",", b.SpendByModel.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) + "|" +
            string.Join(";", b.Windows.Select(w => $"{w.Name}:{w.Unit}:{w.Limit.Amount}:{w.Limit.Period}:{w.Limit.Alignment}:{string.Join(",", w.Limit.Models)}:{w.Start:O}:{w.End:O}:{w.Spent}:{w.Reserved}"))));
    }

    public static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);
}
