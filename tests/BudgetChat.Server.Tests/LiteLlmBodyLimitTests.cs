using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace BudgetChat.Server.Tests;

/// <summary>
/// LiteLLM's hosted client saves its whole <c>user_dict</c> in one <c>/set_budget</c> and never reads the answer: the
/// LiteLLM routes take bodies of 100,000 users by default (<c>BudgetServer:MaxLiteLlmBodyBytes</c>), refuse larger
/// ones with 413, and the <c>/v1</c> routes keep <c>MaxRequestBodyBytes</c>.
/// </summary>
public sealed class LiteLlmBodyLimitTests(ITestOutputHelper output)
{
    private const decimal CreatedAt = 1_741_608_000.123456m;

    [Fact]
    public async Task SetBudget_Of100000Users_AsLiteLlmSendsIt_IsStored_AndReadBackByGetBudget()
    {
        const int Users = 100_000;
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";

        // An hour into the users' windows, so that none has ended by LiteLLM's rule and every cost is kept.
        options.TimeProvider = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds((long)(CreatedAt * 1000)).AddHours(1));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        HttpClient client = host.CreateClient(Api.AcmeKey);
        byte[] body = SetBudgetBody(Users);

        var clock = Stopwatch.StartNew();
        using HttpResponseMessage set = await client.SendAsync(Post("set_budget", body));
        TimeSpan setTime = clock.Elapsed;
        string setText = await set.Content.ReadAsStringAsync();
        clock.Restart();
        using HttpResponseMessage got = await client.SendAsync(Post("get_budget", """{"project_name": "acme"}"""u8.ToArray()));
        using JsonDocument answer = JsonDocument.Parse(await got.Content.ReadAsStreamAsync());
        TimeSpan getTime = clock.Elapsed;
        output.WriteLine($"{Users} users, {body.Length:N0} bytes: /set_budget {setTime.TotalSeconds:F1} s, /get_budget {getTime.TotalSeconds:F1} s.");

        Assert.True(set.StatusCode == HttpStatusCode.OK, $"{(int)set.StatusCode}: {setText[..Math.Min(500, setText.Length)]}");
        Assert.True(body.Length > 100 * 64 * 1024, $"The body is only {body.Length} bytes.");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("success", answer.RootElement.String("status"));
        JsonElement data = answer.RootElement.GetProperty("data");
        Assert.Equal(Users, data.EnumerateObject().Count());
        foreach (int i in (int[])[0, 1, 4_999, 54_321, Users - 1])
        {
            JsonElement user = data.GetProperty(Name(i));
            Assert.Equal(Limit(i), user.Decimal("total_budget"));
            Assert.Equal(Cost(i), user.Decimal("current_cost"));
            Assert.Equal(Cost(i), user.GetProperty("model_cost").Decimal(Model(i)));
            Assert.Equal(31, user.GetProperty("duration").GetInt32()); // the rolling month from 10 March 2025 to 10 April
            Assert.Equal(CreatedAt, user.Decimal("last_updated_at"));
            Assert.Equal(CreatedAt, user.Decimal("created_at"));
        }

        Assert.Equal(Users, (await host.Store.ListBudgetsAsync("acme")).Count);
    }

    [Fact]
    public async Task SetBudget_OverMaxLiteLlmBodyBytes_Is413InLiteLlmsShape_AndStoresNothing()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.Configuration["BudgetServer:MaxLiteLlmBodyBytes"] = "300000";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        HttpClient client = host.CreateClient(Api.AcmeKey);
        byte[] within = SetBudgetBody(1_000);
        byte[] over = SetBudgetBody(2_000);
        Assert.InRange(within.Length, 100_000, 300_000);
        Assert.InRange(over.Length, 300_001, 1_000_000);

        foreach (bool chunked in (bool[])[false, true])
        {
            using HttpResponseMessage refused = await client.SendAsync(Post("set_budget", over, chunked));
            string text = await refused.Content.ReadAsStringAsync();

            Assert.True(refused.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"chunked {chunked}: {(int)refused.StatusCode} {text}");
            using JsonDocument error = JsonDocument.Parse(text);
            Assert.Equal("error", error.RootElement.String("status"));
            Assert.Contains("300000", error.RootElement.String("message"), StringComparison.Ordinal);
            Assert.Empty(await host.Store.ListBudgetsAsync("acme"));
        }

        using HttpResponseMessage accepted = await client.SendAsync(Post("set_budget", within));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(1_000, (await host.Store.ListBudgetsAsync("acme")).Count);
    }

    [Fact]
    public async Task TheV1Routes_KeepMaxRequestBodyBytes()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        byte[] charge = Encoding.UTF8.GetBytes($$"""{ "chargeId": "c1", "keys": ["k"], "amount": 0.1, "model": "{{new string('m', 70_000)}}" }""");

        var (status, body, response) = await host.CreateClient(Api.AcmeKey).SendJsonAsync(HttpMethod.Post, "v1/projects/acme/charges", Encoding.UTF8.GetString(charge));

        Api.AssertProblem(HttpStatusCode.RequestEntityTooLarge, status, body, response);
        Assert.Contains("65536", Api.Detail(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "project_name": "acme", "user_dict": { "u": { "total_budget": 1, "max_budget": 2 } }, "PAD" }""", "user_dict.u.max_budget")]
    [InlineData("""{ "project_name": "acme", "user_dict": { "u": { "total_budget": 1 }, "u": { "total_budget": 2 } }, "PAD" }""", "user_dict.u")]
    [InlineData("""{ "project_name": "acme", "user_dict": { "u\ud800": { "total_budget": 1 } }, "PAD" }""", "user_dict")]
    public async Task ALargeBodyThatIsRefused_StillNamesTheField(string template, string field)
    {
        // Past MaxRequestBodyBytes, so that the copy the reader describes was kept in a file, not in memory.
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        string pad = string.Join(", ", Enumerable.Range(0, 3_000).Select(i => $$"""
            "pad-{{i}}": { "total_budget": 1, "current_cost": 0.5 }
            """));
        string json = template.Replace("}, \"PAD\" }", ", " + pad + " } }", StringComparison.Ordinal);
        Assert.True(json.Length > 100_000, $"{json.Length}");

        var (status, body, response) = await host.CreateClient(Api.AcmeKey).PostJsonAsync("set_budget", json);

        Api.AssertProblem(HttpStatusCode.BadRequest, status, body, response);
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.GetRawText()[..Math.Min(1000, body.GetRawText().Length)]);
        Assert.Empty(await host.Store.ListBudgetsAsync("acme"));
    }

    /// <summary>
    /// A <c>/set_budget</c> body as LiteLLM's client sends it: Python's <c>json.dumps</c> (separators ", " and ": "),
    /// float money with its binary tails, Unix times with microseconds, <c>duration</c> in days.
    /// </summary>
    private static byte[] SetBudgetBody(int users)
    {
        var text = new StringBuilder(users * 260);
        text.Append("""{"project_name": "acme", "user_dict": {""");
        for (int i = 0; i < users; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ")
                .Append(CultureInfo.InvariantCulture, $$"""
                    "{{Name(i)}}": {"total_budget": {{Limit(i)}}, "current_cost": {{Cost(i)}}, "model_cost": {"{{Model(i)}}": {{Cost(i)}}}, "created_at": {{CreatedAt}}, "last_updated_at": {{CreatedAt}}, "duration": 28}
                    """);
        }

        return Encoding.UTF8.GetBytes(text.Append("}}").ToString());
    }

    private static string Name(int i) => $"user-{i:D6}@example.com";

    private static decimal Limit(int i) => 10m + (i % 7);

    private static decimal Cost(int i) => 0.000123456789m * (i % 1000) + 0.1m;

    private static string Model(int i) => (i % 3) switch { 0 => "gpt-4o-mini", 1 => "gpt-4o", _ => "claude-3-5-sonnet-20241022" };

    private static HttpRequestMessage Post(string route, byte[] body, bool chunked = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        return request;
    }
}
