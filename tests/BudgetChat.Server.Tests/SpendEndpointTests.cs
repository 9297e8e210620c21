using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BudgetChat.Server.Tests;

/// <summary>
/// The spend ledger's routes over real HTTP: settles and charges that carry their call's details, appended refusals,
/// filters, groupings, paging, CSV. The service serves an <see cref="InMemoryBudgetStore"/>, which keeps a ledger.
/// </summary>
public sealed class SpendEndpointTests : IAsyncLifetime
{
    private const string P = "v1/projects/acme";
    private const string EnforceKey = "acme-enforce-key-0123456789";

    private readonly FakeTimeProvider _time = new(Api.Epoch);
    private BudgetServerHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions { TimeProvider = _time, Store = new InMemoryBudgetStore(timeProvider: _time) };
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.GlobexKey));
        options.ApiKeys.Add(("acme", EnforceKey));
        options.Configuration["BudgetServer:ApiKeys:2:Role"] = "enforce";
        _host = await BudgetServerHost.StartAsync(options);
        _client = _host.CreateClient(Api.AcmeKey);
        await _client.PutJsonAsync($"{P}/budget?key=global", """{ "definition": { "limit": 100 } }""");
        await _client.PutJsonAsync($"{P}/budget?key=user%3Aalice", """{ "definition": { "limit": 10 } }""");
        await _client.PutJsonAsync($"{P}/budget?key=user%3Abob", """{ "definition": { "limit": 10 } }""");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Settle_WithDetails_WritesARecord_ThatGetAnswersWithEveryField()
    {
        await ReserveAsync("r1", 0.5m, "global", "user:alice");
        _time.Advance(TimeSpan.FromSeconds(3));

        var (status, _, _) = await _client.PostJsonAsync($"{P}/reservations/settle", """
            { "reservationId": "r1", "actualCost": 0.0125, "model": "gpt-4o-mini", "tokens": 1500,
              "record": { "user": "alice", "requestedModel": "gpt-4o", "inputTokens": 1200, "cachedInputTokens": 200, "outputTokens": 300,
                          "reasoningTokens": 50, "outcome": "estimated", "marks": ["downgraded", "reduced"], "reason": "no usage reported",
                          "refusedKey": "user:alice", "refusedWindow": "daily", "maxOutputTokens": 512, "durationMs": 1234.5, "traceId": "4bf92f3577b34da6a3ce929d0e0e4736" } }
            """);
        var (getStatus, page, _) = await _client.GetJsonAsync($"{P}/spend");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, getStatus);
        JsonElement record = Assert.Single(page.GetProperty("records").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
        Assert.True(record.GetProperty("sequence").GetInt64() > 0);
        Assert.Equal("r1", record.String("id"));
        Assert.Equal(Api.Epoch.AddSeconds(3), record.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(["global", "user:alice"], record.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal("alice", record.String("user"));
        Assert.Equal("gpt-4o", record.String("requestedModel"));
        Assert.Equal("gpt-4o-mini", record.String("model"));
        Assert.Equal(1200, record.GetProperty("inputTokens").GetInt64());
        Assert.Equal(200, record.GetProperty("cachedInputTokens").GetInt64());
        Assert.Equal(300, record.GetProperty("outputTokens").GetInt64());
        Assert.Equal(50, record.GetProperty("reasoningTokens").GetInt64());
        Assert.Equal(1500, record.GetProperty("tokens").GetInt64());
        Assert.Equal(0.0125m, record.Decimal("cost"));
        Assert.Equal(0.5m, record.Decimal("held"));
        Assert.Equal("estimated", record.String("outcome"));
        Assert.Equal(["reduced", "downgraded"], record.GetProperty("marks").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("no usage reported", record.String("reason"));
        Assert.Equal("user:alice", record.String("refusedKey"));
        Assert.Equal("daily", record.String("refusedWindow"));
        Assert.Equal(512, record.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal(1234.5m, record.Decimal("durationMs"));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", record.String("traceId"));
        Assert.Equal(JsonValueKind.Null, record.GetProperty("spentAfter").ValueKind);
    }

    [Fact]
    public async Task Settle_RetriedWithOtherDetails_IsARetry_AndLeavesOneRecord()
    {
        await ReserveAsync("r1", 0.5m, "global");
        var (first, _, _) = await _client.PostJsonAsync($"{P}/reservations/settle", """{ "reservationId": "r1", "actualCost": 0.2, "record": { "user": "alice" } }""");

        var (again, body, _) = await _client.PostJsonAsync($"{P}/reservations/settle", """{ "reservationId": "r1", "actualCost": 0.2, "record": { "user": "mallory", "outcome": "estimated" } }""");
        var (_, page, _) = await _client.GetJsonAsync($"{P}/spend?key=global");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("alreadyCompleted", body.String("status"));
        JsonElement record = Assert.Single(page.GetProperty("records").EnumerateArray());
        Assert.Equal("alice", record.String("user"));
        Assert.Equal("charged", record.String("outcome"));
    }

    [Fact]
    public async Task Charge_WithDetails_WritesARecord_WithoutAHold()
    {
        var (status, _, _) = await _client.PostJsonAsync($"{P}/charges", """
            { "chargeId": "c1", "keys": ["user:bob"], "amount": 0.3, "model": "o3", "tokens": 90, "record": { "user": "bob", "inputTokens": 60, "outputTokens": 30 } }
            """);

        var (_, page, _) = await _client.GetJsonAsync($"{P}/spend?user=bob");

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement record = Assert.Single(page.GetProperty("records").EnumerateArray());
        Assert.Equal("c1", record.String("id"));
        Assert.Equal(0.3m, record.Decimal("cost"));
        Assert.Equal(0m, record.Decimal("held"));
        Assert.Equal("o3", record.String("model"));
        Assert.Equal(60, record.GetProperty("inputTokens").GetInt64());
    }

    [Fact]
    public async Task Settle_WithARefusedOutcome_Is400NamingRecordOutcome_AndChargesNothing()
    {
        await ReserveAsync("r1", 0.5m, "global");

        var (status, body, response) = await _client.PostJsonAsync($"{P}/reservations/settle", """{ "reservationId": "r1", "actualCost": 0.2, "record": { "outcome": "refused" } }""");

        Api.AssertProblem(HttpStatusCode.BadRequest, status, body, response);
        Assert.True(body.GetProperty("errors").TryGetProperty("record.outcome", out _), body.GetRawText());
        var (_, budget, _) = await _client.GetJsonAsync($"{P}/budget?key=global");
        Assert.Equal(0m, budget.Decimal("spent"));
    }

    [Fact]
    public async Task Append_ARefusal_IsListed_WithTheServicesTime()
    {
        _time.Advance(TimeSpan.FromMinutes(5));

        using HttpClient enforce = _host.CreateClient(EnforceKey);
        var (status, _, _) = await enforce.PostJsonAsync($"{P}/spend", """
            { "keys": ["user:alice"], "outcome": "refused", "id": "r9", "model": "gpt-4o", "tokens": 4000, "user": "alice",
              "reason": "daily limit reached", "refusedKey": "user:alice", "refusedWindow": "daily" }
            """);
        var (_, page, _) = await enforce.GetJsonAsync($"{P}/spend?outcome=refused");

        Assert.Equal(HttpStatusCode.NoContent, status);
        JsonElement record = Assert.Single(page.GetProperty("records").EnumerateArray());
        Assert.Equal("refused", record.String("outcome"));
        Assert.Equal(Api.Epoch.AddMinutes(5), record.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(0m, record.Decimal("cost"));
        Assert.Equal("daily", record.String("refusedWindow"));
        Assert.Equal(4000, record.GetProperty("tokens").GetInt64());
    }

    [Theory]
    [InlineData("""{ "keys": ["global"], "outcome": "charged" }""", "outcome")]
    [InlineData("""{ "keys": [], "outcome": "refused" }""", "keys")]
    [InlineData("""{ "outcome": "refused" }""", "keys")]
    [InlineData("""{ "keys": ["global"] }""", "outcome")]
    [InlineData("""{ "keys": ["global"], "outcome": "refused", "cost": 1 }""", "cost")]
    [InlineData("""{ "keys": ["global"], "outcome": "refused", "marks": ["sideways"] }""", "marks[0]")]
    [InlineData("""{ "keys": ["global"], "outcome": "refused", "durationMs": -1 }""", "durationMs")]
    [InlineData("""{ "keys": ["global"], "outcome": "refused", "maxOutputTokens": 0 }""", "maxOutputTokens")]
    [InlineData("""{ "keys": ["global"], "outcome": "refused", "user": " " }""", "user")]
    [InlineData("""{ "keys": ["global"], "outcome": "released", "time": "2026-03-10T12:00:00" }""", "time")]
    public async Task Append_BadInput_Is400NamingTheField_AndAppendsNothing(string body, string field)
    {
        var (status, answer, response) = await _client.PostJsonAsync($"{P}/spend", body);

        Api.AssertProblem(HttpStatusCode.BadRequest, status, answer, response);
        Assert.True(answer.GetProperty("errors").TryGetProperty(field, out _), answer.GetRawText());
        var (_, page, _) = await _client.GetJsonAsync($"{P}/spend");
        Assert.Empty(page.GetProperty("records").EnumerateArray());
    }

    [Fact]
    public async Task Query_Filters_ByUserKeyModelOutcomeMarkAndTime()
    {
        await SeedAsync();

        Assert.Equal(["c3", "c1"], await IdsAsync("user=alice"));
        Assert.Equal(["c2"], await IdsAsync("key=user%3Abob"));
        Assert.Equal(["c3", "c2"], await IdsAsync("model=gpt-4o-mini"));
        Assert.Equal(["x1"], await IdsAsync("outcome=refused"));
        Assert.Equal(["c3"], await IdsAsync("outcome=downgraded"));
        Assert.Equal(["c3"], await IdsAsync("outcome=charged&outcome=downgraded"));
        Assert.Equal(["c3"], await IdsAsync("outcome=charged,downgraded"));
        Assert.Equal(["x1", "c2", "c1"], await IdsAsync("from=2026-03-10&to=2026-03-11"));
        Assert.Equal(["c2"], await IdsAsync("from=2026-03-10T12:30:00Z&to=2026-03-10T13:00:00%2B00:00"));
        Assert.Equal(["c2"], await IdsAsync("from=2026-03-10T13:30:00+01:00&to=2026-03-10T14:00:00%2B01:00")); // an unescaped '+' is read as one
        Assert.Empty(await IdsAsync("user=nobody"));
    }

    [Fact]
    public async Task Query_PagesNewestFirst_ThroughNext_AndTheLinkHeader()
    {
        await SeedAsync();

        var (_, first, response) = await _client.GetJsonAsync($"{P}/spend?user=alice&limit=1");
        long next = first.GetProperty("next").GetInt64();
        string link = response.Headers.GetValues("Link").Single();
        var (_, second, secondResponse) = await _client.GetJsonAsync($"{P}/spend?user=alice&limit=1&before={next}");

        Assert.Equal(["c3"], first.GetProperty("records").EnumerateArray().Select(r => r.String("id")));
        Assert.Equal($"</v1/projects/acme/spend?user=alice&limit=1&before={next}>; rel=\"next\"", link);
        Assert.Equal(["c1"], second.GetProperty("records").EnumerateArray().Select(r => r.String("id")));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.False(secondResponse.Headers.Contains("Link"));
    }

    [Fact]
    public async Task Query_OldestFirst_PagesWithAfter()
    {
        await SeedAsync();

        var (_, first, _) = await _client.GetJsonAsync($"{P}/spend?order=oldest&limit=2&key=global");
        long next = first.GetProperty("next").GetInt64();
        var (_, rest, _) = await _client.GetJsonAsync($"{P}/spend?order=oldest&limit=2&key=global&after={next}");

        Assert.Equal(["c1", "c2"], first.GetProperty("records").EnumerateArray().Select(r => r.String("id")));
        Assert.Equal(["x1", "c3"], rest.GetProperty("records").EnumerateArray().Select(r => r.String("id")));
    }

    [Fact]
    public async Task GroupBy_User_AddsUpEachUsersCalls_HighestCostFirst()
    {
        await SeedAsync();

        var (status, body, _) = await _client.GetJsonAsync($"{P}/spend?groupBy=user");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("records", out _));
        JsonElement[] groups = [.. body.GetProperty("groups").EnumerateArray()];
        Assert.Equal(["alice", "bob", "carol"], groups.Select(g => g.String("value")));
        Assert.Equal(0.5m, groups[0].Decimal("cost"));
        Assert.Equal(2, groups[0].GetProperty("calls").GetInt64());
        Assert.Equal(0, groups[0].GetProperty("refused").GetInt64());
        Assert.Equal(300, groups[0].GetProperty("inputTokens").GetInt64());
        Assert.Equal(0.25m, groups[1].Decimal("cost"));
        Assert.Equal(1, groups[2].GetProperty("refused").GetInt64());
        Assert.Equal(0m, groups[2].Decimal("cost"));
    }

    [Fact]
    public async Task GroupBy_WithTop_AnswersTheCostliestGroupsOnly()
    {
        await SeedAsync();

        var (status, body, _) = await _client.GetJsonAsync($"{P}/spend?groupBy=key&top=2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["global", "user:alice"], body.GetProperty("groups").EnumerateArray().Select(g => g.String("value")));
    }

    [Theory]
    [InlineData("none", new[] { "" }, new[] { "0.75" })]
    [InlineData("day", new[] { "2026-03-10", "2026-03-11" }, new[] { "0.45", "0.3" })]
    [InlineData("model", new[] { "gpt-4o-mini", "gpt-4o" }, new[] { "0.55", "0.2" })]
    [InlineData("key", new[] { "global", "user:alice", "user:bob", "user:carol" }, new[] { "0.75", "0.5", "0.25", "0" })]
    [InlineData("outcome", new[] { "charged", "refused" }, new[] { "0.75", "0" })]
    public async Task GroupBy_EachGrouping_AnswersItsGroups(string groupBy, string[] values, string[] costs)
    {
        await SeedAsync();

        var (_, body, _) = await _client.GetJsonAsync($"{P}/spend?groupBy={groupBy}");

        JsonElement[] groups = [.. body.GetProperty("groups").EnumerateArray()];
        Assert.Equal(values, groups.Select(g => g.String("value") ?? string.Empty));
        Assert.Equal(costs.Select(c => decimal.Parse(c, System.Globalization.CultureInfo.InvariantCulture)), groups.Select(g => g.Decimal("cost")));
    }

    [Fact]
    public async Task Csv_Records_HaveAHeaderAndOneQuotedRowEach_InTheInvariantCulture()
    {
        await ReserveAsync("r1", 0.5m, "global", "user:alice");
        await _client.PostJsonAsync($"{P}/reservations/settle", """
            { "reservationId": "r1", "actualCost": 0.0125, "model": "gpt-4o", "tokens": 10,
              "record": { "user": "Smith, \"J\"", "reason": "line one\nline two", "marks": ["reduced", "downgraded"], "durationMs": 1.5 } }
            """);

        using HttpResponseMessage response = await _client.GetAsync(new Uri($"{P}/spend?format=csv", UriKind.Relative));
        string csv = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(
            "sequence,time,id,keys,user,requestedModel,model,outcome,marks,cost,held,tokens,inputTokens,cachedInputTokens,outputTokens,reasoningTokens,maxOutputTokens,durationMs,reason,refusedKey,refusedWindow,traceId,spentAfter\r\n"
            + "1,2026-03-10T12:00:00Z,r1,global;user:alice,\"Smith, \"\"J\"\"\",,gpt-4o,charged,\"reduced,downgraded\",0.0125,0.5,10,,,,,,1.5,\"line one\nline two\",,,,\r\n",
            csv);
    }

    [Fact]
    public async Task Csv_DefusesFormulas_InEveryTextField()
    {
        await _client.PostJsonAsync($"{P}/spend", """
            { "keys": ["=HYPERLINK(\"x\")"], "outcome": "refused", "id": "@id", "user": "=1+1", "requestedModel": "+cmd", "reason": "-2+3", "refusedKey": "@SUM(A1)", "refusedWindow": "\tdaily", "traceId": "\rx" }
            """);

        string records = await GetCsvAsync($"{P}/spend");
        string groups = await GetCsvAsync($"{P}/spend?groupBy=user");

        string row = records.Split("\r\n")[1];
        Assert.Equal("1,2026-03-10T12:00:00Z,'@id,\"'=HYPERLINK(\"\"x\"\")\",'=1+1,'+cmd,,refused,,0,0,0,,,,,,,'-2+3,'@SUM(A1),'\tdaily,\"'\rx\",", row);
        Assert.Equal("user,calls,refused,cost,tokens,inputTokens,outputTokens\r\n'=1+1,1,1,0,0,0,0\r\n", groups);
    }

    [Fact]
    public async Task Csv_IsAnswered_ForAcceptTextCsv_UnlessFormatSaysJson()
    {
        await SeedAsync();

        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"{P}/spend?groupBy=none");
        csvRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using HttpResponseMessage csv = await _client.SendAsync(csvRequest);
        using var jsonRequest = new HttpRequestMessage(HttpMethod.Get, $"{P}/spend?groupBy=none&format=json");
        jsonRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using HttpResponseMessage json = await _client.SendAsync(jsonRequest);

        Assert.Equal("calls,refused,cost,tokens,inputTokens,outputTokens\r\n4,1,0.75,0,300,0\r\n", await csv.Content.ReadAsStringAsync());
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-03-10T12:00:00", "from")]
    [InlineData("to=1969-12-31", "to")]
    [InlineData("from=2026-03-11&to=2026-03-10", "to")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=10001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("groupBy=user&top=0", "top")]
    [InlineData("groupBy=key&top=10001", "top")]
    [InlineData("before=-1", "before")]
    [InlineData("after=1.5", "after")]
    [InlineData("order=sideways", "order")]
    [InlineData("format=xml", "format")]
    [InlineData("groupBy=week", "groupBy")]
    [InlineData("outcome=lost", "outcome")]
    [InlineData("outcome=charged&outcome=refused", "outcome")]
    [InlineData("user=%20", "user")]
    [InlineData("user=a&user=b", "user")]
    [InlineData("form=2026-03-10", "form")]
    [InlineData("limit=", "limit")]
    [InlineData("user=", "user")]
    [InlineData("groupBy=", "groupBy")]
    [InlineData("outcome=", "outcome")]
    [InlineData("from=", "from")]
    public async Task Query_BadParameter_Is400NamingIt(string query, string parameter)
    {
        var (status, body, response) = await _client.GetJsonAsync($"{P}/spend?{query}");

        Api.AssertProblem(HttpStatusCode.BadRequest, status, body, response);
        Assert.Equal([parameter], body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Query_NamesEveryBadParameter_AtOnce()
    {
        var (_, body, _) = await _client.GetJsonAsync($"{P}/spend?limit=0&order=up&groupBy=week");

        Assert.Equal(["groupBy", "limit", "order"], body.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-configured-key-000111", HttpStatusCode.Unauthorized)]
    [InlineData(Api.GlobexKey, HttpStatusCode.Forbidden)]
    public async Task TheRoutes_RefuseAWrongKey_AndAppendNothing(string? key, HttpStatusCode expected)
    {
        HttpClient client = _host.CreateClient(key);

        var (getStatus, _, _) = await client.GetJsonAsync($"{P}/spend");
        var (postStatus, _, _) = await client.PostJsonAsync($"{P}/spend", """{ "keys": ["global"], "outcome": "refused" }""");

        Assert.Equal(expected, getStatus);
        Assert.Equal(expected, postStatus);
        var (_, page, _) = await _client.GetJsonAsync($"{P}/spend");
        Assert.Empty(page.GetProperty("records").EnumerateArray());
    }

    [Fact]
    public async Task AStoreWithoutALedger_Is501_NamingIt_AfterTheInputIsChecked()
    {
        IBudgetStore store = Substitute.For<IBudgetStore>();
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = store });
        HttpClient client = host.CreateClient();

        var (getStatus, getBody, getResponse) = await client.GetJsonAsync($"{P}/spend?groupBy=user");
        var (postStatus, postBody, postResponse) = await client.PostJsonAsync($"{P}/spend", """{ "keys": ["global"], "outcome": "refused" }""");
        var (badStatus, _, _) = await client.GetJsonAsync($"{P}/spend?limit=0");

        Api.AssertProblem(HttpStatusCode.NotImplemented, getStatus, getBody, getResponse);
        Api.AssertProblem(HttpStatusCode.NotImplemented, postStatus, postBody, postResponse);
        Assert.Contains("IBudgetSpendLog", Api.Detail(getBody), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheSpendRoutes_AndTheirParameters()
    {
        var (_, document, _) = await _client.GetJsonAsync("openapi/v1.json");

        JsonElement spend = document.GetProperty("paths").GetProperty("/v1/projects/{project}/spend");
        Assert.Equal(["get", "post"], spend.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        string[] parameters = [.. spend.GetProperty("get").GetProperty("parameters").EnumerateArray().Select(p => p.String("name")!)];
        Assert.Equal(["project", "from", "to", "user", "key", "model", "outcome", "groupBy", "limit", "before", "after", "order", "top", "format"], parameters);
        Assert.Contains("text/csv", spend.GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name));
        JsonElement schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("SettleRequest").GetProperty("properties").TryGetProperty("record", out _));
        Assert.True(schemas.GetProperty("ChargeRequest").GetProperty("properties").TryGetProperty("record", out _));
        Assert.Contains("durationMs", schemas.GetProperty("SpendDetailsDto").GetProperty("properties").EnumerateObject().Select(p => p.Name));
        JsonElement answers = spend.GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("oneOf");
        Assert.Equal(["#/components/schemas/SpendPageDto", "#/components/schemas/SpendGroupsDto"], answers.EnumerateArray().Select(a => a.String("$ref")));
        Assert.Contains("groups", schemas.GetProperty("SpendGroupsDto").GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    // Four calls and a refusal: alice $0.20 (gpt-4o) at 12:00, bob $0.25 (gpt-4o-mini) at 12:40, a refusal of carol at
    // 13:00, alice $0.30 (gpt-4o-mini, downgraded) the next day. Ids in time order: c1, c2, x1, c3.
    private async Task SeedAsync()
    {
        await _client.PutJsonAsync($"{P}/budget?key=user%3Acarol", """{ "definition": { "limit": 10 } }""");
        await ChargeAsync("c1", "user:alice", "alice", 0.2m, "gpt-4o", 100);
        _time.Advance(TimeSpan.FromMinutes(40));
        await ChargeAsync("c2", "user:bob", "bob", 0.25m, "gpt-4o-mini", 0);
        _time.Advance(TimeSpan.FromMinutes(20));
        var (refused, _, _) = await _client.PostJsonAsync($"{P}/spend", """{ "keys": ["global", "user:carol"], "outcome": "refused", "id": "x1", "user": "carol", "model": "gpt-4o" }""");
        Assert.Equal(HttpStatusCode.NoContent, refused);
        _time.Advance(TimeSpan.FromDays(1));
        var (status, _, _) = await _client.PostJsonAsync($"{P}/charges", """
            { "chargeId": "c3", "keys": ["global", "user:alice"], "amount": 0.3, "model": "gpt-4o-mini", "record": { "user": "alice", "requestedModel": "gpt-4o", "marks": ["downgraded"], "inputTokens": 200 } }
            """);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private async Task ChargeAsync(string id, string key, string user, decimal amount, string model, long inputTokens)
    {
        string tokens = inputTokens == 0 ? string.Empty : $$""", "inputTokens": {{inputTokens}}""";
        var (status, _, _) = await _client.PostJsonAsync($"{P}/charges",
            $$"""{ "chargeId": "{{id}}", "keys": ["global", "{{key}}"], "amount": {{Api.Money(amount)}}, "model": "{{model}}", "record": { "user": "{{user}}"{{tokens}} } }""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private async Task ReserveAsync(string id, decimal amount, params string[] keys)
    {
        var (status, body, _) = await _client.PostJsonAsync($"{P}/reservations",
            $$"""{ "reservationId": "{{id}}", "keys": [{{string.Join(", ", keys.Select(k => $"\"{k}\""))}}], "amount": {{Api.Money(amount)}}, "expiresAt": "{{Api.Time(_time.GetUtcNow().AddMinutes(10))}}" }""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("reserved", body.String("status"));
    }

    private async Task<string[]> IdsAsync(string query)
    {
        var (status, body, _) = await _client.GetJsonAsync($"{P}/spend?{query}");
        Assert.True(status == HttpStatusCode.OK, $"{query}: {(int)status} {body}");
        return [.. body.GetProperty("records").EnumerateArray().Select(r => r.String("id") ?? "(none)")];
    }

    private async Task<string> GetCsvAsync(string path)
    {
        using HttpResponseMessage response = await _client.GetAsync(new Uri(path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "format=csv", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
