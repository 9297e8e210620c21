using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>Round trips through every <c>/v1</c> route, over real HTTP, against the store the server serves.</summary>
public sealed class BudgetEndpointTests : IAsyncLifetime
{
    private const string P = "v1/projects/acme";

    private readonly FakeTimeProvider _time = new(Api.Epoch);
    private BudgetServerHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions { TimeProvider = _time };

        // The reset service would sweep on the fake clock's advances; these tests sweep through the route.
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.GlobexKey));
        _host = await BudgetServerHost.StartAsync(options);
        _client = _host.CreateClient(Api.AcmeKey);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task SetBudget_ThenGetBudget_RoundTripsTheBudgetExactly()
    {
        var (status, set, _) = await _client.PutJsonAsync($"{P}/budget?key=user%3A1234",
            """{ "definition": { "limit": 10.000125, "period": "monthly", "alignment": "rolling", "alertThresholds": [1.0, 0.8] } }""");
        Assert.Equal(HttpStatusCode.OK, status);

        var (getStatus, got, response) = await _client.GetJsonAsync($"{P}/budget?key=user%3A1234");

        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(set.GetRawText(), got.GetRawText());
        Assert.Equal("acme", got.String("project"));
        Assert.Equal("user:1234", got.String("key"));
        JsonElement definition = got.GetProperty("definition");
        Assert.Equal(10.000125m, definition.Decimal("limit"));
        Assert.Equal("monthly", definition.String("period"));
        Assert.Equal("rolling", definition.String("alignment"));
        Assert.Equal([0.8m, 1.0m], definition.GetProperty("alertThresholds").EnumerateArray().Select(t => t.GetDecimal()));
        Assert.Equal(Api.Epoch, got.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(Api.Epoch.AddMonths(1), got.GetProperty("windowEnd").GetDateTimeOffset());
        Assert.Equal(0m, got.Decimal("spent"));
        Assert.Equal(0m, got.Decimal("reserved"));
        Assert.Equal(10.000125m, got.Decimal("remaining"));
        Assert.Empty(got.GetProperty("spendByModel").EnumerateObject());
        Assert.Equal(Api.Epoch, got.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal("2026-03-10T12:00:00+00:00", got.String("updatedAt"));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SetBudget_WithCreatedAt_CountsRollingWindowsFromIt_AndAgainKeepsSpend()
    {
        await _client.PutJsonAsync($"{P}/budget?key=k", """{ "definition": { "limit": 5 } }""");
        await _client.PostJsonAsync($"{P}/charges", """{ "chargeId": "c1", "keys": ["k"], "amount": 1.5, "model": null }""");

        var (status, body, _) = await _client.PutJsonAsync($"{P}/budget?key=k",
            """{ "definition": { "limit": 8, "period": "daily", "alignment": "rolling" }, "createdAt": "2026-03-09T18:30:00+00:00" }""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(8m, body.GetProperty("definition").Decimal("limit"));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 18, 30, 0, TimeSpan.Zero), body.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 18, 30, 0, TimeSpan.Zero), body.GetProperty("windowEnd").GetDateTimeOffset());
        Assert.Equal(1.5m, body.Decimal("spent"));
    }

    [Fact]
    public async Task GetBudget_OfAKeyWithoutBudget_Is404ProblemNamingTheKey()
    {
        var (status, body, response) = await _client.GetJsonAsync($"{P}/budget?key=user%3Anobody");

        Api.AssertProblem(HttpStatusCode.NotFound, status, body, response);
        Assert.Equal("user:nobody", body.String("key"));
        Assert.Contains("user:nobody", body.String("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrCreate_CreatesOnce_ThenAnswersTheExistingBudget()
    {
        var (first, created, _) = await _client.PostJsonAsync($"{P}/budget/get-or-create?key=user%3A7", """{ "limit": 2, "period": "weekly" }""");
        await _client.PostJsonAsync($"{P}/charges", """{ "chargeId": "c1", "keys": ["user:7"], "amount": 0.5 }""");
        var (second, existing, _) = await _client.PostJsonAsync($"{P}/budget/get-or-create?key=user%3A7", """{ "limit": 99 }""");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal("weekly", created.GetProperty("definition").String("period"));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero), created.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(2m, existing.GetProperty("definition").Decimal("limit"));
        Assert.Equal(0.5m, existing.Decimal("spent"));
    }

    [Fact]
    public async Task Definition_ReadsEnumsWithoutRegardToCase_AndNullAsLeftOut()
    {
        var (status, created, _) = await _client.PutJsonAsync(
            $"{P}/budget?key=user%3A8", """{ "definition": { "limit": 3, "period": "Daily", "alignment": null, "alertThresholds": null }, "createdAt": null }""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new BudgetDefinition(3m, BudgetPeriod.Daily, BudgetWindowAlignment.Calendar), (await _host.Store.GetBudgetAsync("acme", "user:8"))!.Definition);
        Assert.Equal("daily", created.GetProperty("definition").String("period"));
        Assert.Equal("calendar", created.GetProperty("definition").String("alignment"));
        Assert.Empty(created.GetProperty("definition").GetProperty("alertThresholds").EnumerateArray());
    }

    [Fact]
    public async Task ListBudgets_IsOrderedByKey_AndSeesOnlyTheProject()
    {
        foreach (string key in new[] { "user:b", "global", "user:a" })
        {
            await _client.PutJsonAsync($"{P}/budget?key={Uri.EscapeDataString(key)}", """{ "definition": { "limit": 1 } }""");
        }

        await _host.Store.SetBudgetAsync("globex", "user:z", new BudgetDefinition(1m));

        var (status, body, _) = await _client.GetJsonAsync($"{P}/budgets");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["global", "user:a", "user:b"], body.GetProperty("budgets").EnumerateArray().Select(b => b.String("key")));
    }

    [Fact]
    public async Task DeleteBudget_Is204_ThenTheKeyHasNone_AndASecondDeleteIs404()
    {
        await _client.PutJsonAsync($"{P}/budget?key=user%3A1", """{ "definition": { "limit": 1 } }""");

        var (first, _, _) = await _client.SendJsonAsync(HttpMethod.Delete, $"{P}/budget?key=user%3A1");
        var (second, body, response) = await _client.SendJsonAsync(HttpMethod.Delete, $"{P}/budget?key=user%3A1");

        Assert.Equal(HttpStatusCode.NoContent, first);
        Assert.Null(await _host.Store.GetBudgetAsync("acme", "user:1"));
        Api.AssertProblem(HttpStatusCode.NotFound, second, body, response);
        Assert.Equal("user:1", body.String("key"));
    }

    [Fact]
    public async Task ResetBudget_ZeroesSpend_AndKeepsHolds_AndAMissingKeyIs404()
    {
        await _client.PutJsonAsync($"{P}/budget?key=user%3A1", """{ "definition": { "limit": 1 } }""");
        await _client.PostJsonAsync($"{P}/charges", """{ "chargeId": "c1", "keys": ["user:1"], "amount": 0.4, "model": "gpt-4o" }""");
        await Reserve("r1", 0.1m, "user:1");

        var (status, body, _) = await _client.SendJsonAsync(HttpMethod.Post, $"{P}/budget/reset?key=user%3A1");
        var (missing, problem, response) = await _client.SendJsonAsync(HttpMethod.Post, $"{P}/budget/reset?key=user%3A2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0m, body.Decimal("spent"));
        Assert.Equal(0.1m, body.Decimal("reserved"));
        Assert.Empty(body.GetProperty("spendByModel").EnumerateObject());
        Api.AssertProblem(HttpStatusCode.NotFound, missing, problem, response);
    }

    [Fact]
    public async Task Reserve_HoldsTheAmountOnEveryKey()
    {
        await SetBudgets(("global", 10m), ("user:1", 1m));

        var (status, body, _) = await Reserve("r1", 0.25m, "global", "user:1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("reserved", body.String("status"));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("key").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("budget").ValueKind);
        Assert.Equal(0.25m, (await _host.Store.GetBudgetAsync("acme", "global"))!.Reserved);
        Assert.Equal(0.25m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Reserved);
    }

    [Fact]
    public async Task Reserve_RefusedForLackOfMoney_Is200InsufficientBudget_NamingTheBudget_AndHoldsNothing()
    {
        await SetBudgets(("global", 10m), ("user:1", 1m));

        var (status, body, _) = await Reserve("r1", 1.01m, "global", "user:1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("insufficientBudget", body.String("status"));
        Assert.Equal("user:1", body.String("key"));
        Assert.Equal("user:1", body.GetProperty("budget").String("key"));
        Assert.Equal(1m, body.GetProperty("budget").Decimal("remaining"));
        Assert.Equal(0m, (await _host.Store.GetBudgetAsync("acme", "global"))!.Reserved);
    }

    [Fact]
    public async Task Reserve_OnAKeyWithoutBudget_Is200BudgetNotFound_NamingTheKey()
    {
        await SetBudgets(("global", 10m));

        var (status, body, _) = await Reserve("r1", 0.1m, "global", "user:ghost");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("budgetNotFound", body.String("status"));
        Assert.Equal("user:ghost", body.String("key"));
        Assert.Equal(0m, (await _host.Store.GetBudgetAsync("acme", "global"))!.Reserved);
    }

    [Fact]
    public async Task Reserve_RetriedWithTheSameId_IsReservedAgain_AndHoldsOnce()
    {
        await SetBudgets(("user:1", 1m));

        await Reserve("r1", 0.3m, "user:1");
        var (status, body, _) = await Reserve("r1", 0.3m, "user:1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("reserved", body.String("status"));
        Assert.Equal(0.3m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Reserved);
    }

    // A client whose clock is wrong can neither hold money for nothing nor hold it beyond the service's maximum (1 h).
    [Theory]
    [InlineData(0)]
    [InlineData(-30)]
    [InlineData(61)]
    [InlineData(60 * 24 * 365)]
    public async Task Reserve_WithAnExpiryPastOrBeyondTheMaximum_Is400NamingExpiresAt_AndHoldsNothing(int minutesFromNow)
    {
        await SetBudgets(("user:1", 1m));

        var (status, body, response) = await Reserve("r1", 0.3m, "user:1", Api.Epoch.AddMinutes(minutesFromNow));

        Api.AssertProblem(HttpStatusCode.BadRequest, status, body, response);
        Assert.True(body.GetProperty("errors").TryGetProperty("expiresAt", out _));
        Assert.Equal(0m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Reserved);
    }

    [Fact]
    public async Task Renew_MovesTheExpiryLater_SoTheHoldOutlivesTheFirstExpiry()
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.6m, "user:1", Api.Epoch.AddMinutes(5));
        _time.Advance(TimeSpan.FromMinutes(4));

        var (status, body, _) = await Renew("r1", _time.GetUtcNow().AddMinutes(5));
        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("renewed", body.String("status"));
        Assert.Equal(0.6m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Reserved);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(61)]
    public async Task Renew_WithAnExpiryPastOrBeyondTheMaximum_Is400NamingExpiresAt_AndChangesNothing(int minutesFromNow)
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.6m, "user:1", Api.Epoch.AddMinutes(5));

        var (status, body, response) = await Renew("r1", Api.Epoch.AddMinutes(minutesFromNow));
        _time.Advance(TimeSpan.FromMinutes(6));

        Api.AssertProblem(HttpStatusCode.BadRequest, status, body, response);
        Assert.True(body.GetProperty("errors").TryGetProperty("expiresAt", out _));
        Assert.Equal(0m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Reserved);
    }

    [Fact]
    public async Task Renew_OfAnUnknownId_Is404NamingTheId_AndOfAnEndedOneIsEnded()
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.3m, "user:1");
        await Settle("r1", 0.2m, null);

        var (unknown, unknownBody, unknownResponse) = await Renew("never", Api.Epoch.AddMinutes(5));
        var (ended, endedBody, _) = await Renew("r1", Api.Epoch.AddMinutes(5));

        Api.AssertProblem(HttpStatusCode.NotFound, unknown, unknownBody, unknownResponse);
        Assert.Equal(HttpStatusCode.OK, ended);
        Assert.Equal("ended", endedBody.String("status"));
    }

    [Fact]
    public async Task Reserve_WithTheIdOfASettledReservation_Is409NamingTheIdAndWhatItIs_AndHoldsNothing()
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.3m, "user:1");
        await Settle("r1", 0.2m, null);

        var (status, body, response) = await Reserve("r1", 0.3m, "user:1");

        Api.AssertProblem(HttpStatusCode.Conflict, status, body, response);
        Assert.Equal("r1", body.String("reservationId"));
        Assert.Equal("settled", body.String("conflict"));
        BudgetState state = (await _host.Store.GetBudgetAsync("acme", "user:1"))!;
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0.2m, state.Spent);
    }

    [Fact]
    public async Task Settle_AfterARelease_Is409Released_AndChargesNothing()
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.3m, "user:1");
        await _client.PostJsonAsync($"{P}/reservations/release", """{ "reservationId": "r1" }""");

        var (status, body, response) = await Settle("r1", 0.2m, "gpt-4o");

        Api.AssertProblem(HttpStatusCode.Conflict, status, body, response);
        Assert.Equal("released", body.String("conflict"));
        Assert.Contains("released", body.String("detail"), StringComparison.Ordinal);
        Assert.Equal(0m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Spent);
    }

    [Fact]
    public async Task Settle_ChargesTheActualCost_AndSettlingTwiceIsAlreadyCompleted_ChargedOnce()
    {
        await SetBudgets(("global", 10m), ("user:1", 1m));
        await Reserve("r1", 0.5m, "global", "user:1");

        var (first, completed, _) = await Settle("r1", 0.012m, "gpt-4o");
        var (second, again, _) = await Settle("r1", 0.012m, "gpt-4o");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal("completed", completed.String("status"));
        Assert.Empty(completed.GetProperty("alerts").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal("alreadyCompleted", again.String("status"));
        foreach (string key in new[] { "global", "user:1" })
        {
            BudgetState state = (await _host.Store.GetBudgetAsync("acme", key))!;
            Assert.Equal(0.012m, state.Spent);
            Assert.Equal(0m, state.Reserved);
            Assert.Equal(0.012m, state.SpendByModel["gpt-4o"]);
        }
    }

    [Fact]
    public async Task Settle_ReportsTheAlertsTheChargeCrossed_InTheCompletion()
    {
        await _client.PutJsonAsync($"{P}/budget?key=user%3A1", """{ "definition": { "limit": 10, "period": "monthly", "alertThresholds": [0.5, 0.8, 1.0] } }""");
        await Reserve("r1", 1m, "user:1");

        var (status, body, _) = await Settle("r1", 8.1m, "gpt-4o");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("completed", body.String("status"));
        JsonElement[] alerts = [.. body.GetProperty("alerts").EnumerateArray()];
        Assert.Equal([0.5m, 0.8m], alerts.Select(a => a.Decimal("threshold")));
        JsonElement alert = alerts[1];
        Assert.Equal("acme", alert.String("project"));
        Assert.Equal("user:1", alert.String("key"));
        Assert.Equal(8.1m, alert.Decimal("spent"));
        Assert.Equal(10m, alert.Decimal("limit"));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), alert.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), alert.GetProperty("windowEnd").GetDateTimeOffset());
    }

    [Fact]
    public async Task Release_EndsTheReservationWithoutCharging_AndAgainIsAlreadyCompleted()
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.5m, "user:1");

        var (first, released, _) = await _client.PostJsonAsync($"{P}/reservations/release", """{ "reservationId": "r1" }""");
        var (second, again, _) = await _client.PostJsonAsync($"{P}/reservations/release", """{ "reservationId": "r1" }""");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal("completed", released.String("status"));
        Assert.Equal("alreadyCompleted", again.String("status"));
        Assert.Equal(HttpStatusCode.OK, second);
        BudgetState state = (await _host.Store.GetBudgetAsync("acme", "user:1"))!;
        Assert.Equal(0m, state.Reserved);
        Assert.Equal(0m, state.Spent);
    }

    [Theory]
    [InlineData("settle", """{ "reservationId": "nope", "actualCost": 0.1 }""")]
    [InlineData("release", """{ "reservationId": "nope" }""")]
    public async Task EndingAnUnknownReservation_Is404NamingTheId(string route, string json)
    {
        var (status, body, response) = await _client.PostJsonAsync($"{P}/reservations/{route}", json);

        Api.AssertProblem(HttpStatusCode.NotFound, status, body, response);
        Assert.Equal("nope", body.String("reservationId"));
    }

    [Fact]
    public async Task ExpiredReservation_IsReclaimed_AndSettlingItLaterStillCharges()
    {
        await SetBudgets(("user:1", 1m));
        await Reserve("r1", 0.5m, "user:1", expiresAt: Api.Epoch.AddMinutes(1));

        _time.Advance(TimeSpan.FromMinutes(2));
        var (_, budget, _) = await _client.GetJsonAsync($"{P}/budget?key=user%3A1");
        var (status, settled, _) = await Settle("r1", 0.2m, null);

        Assert.Equal(0m, budget.Decimal("reserved"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("completed", settled.String("status"));
        Assert.Equal(0.2m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Spent);
    }

    [Fact]
    public async Task Charge_ChargesEveryKey_EvenPastTheLimit_AndIsIdempotentById()
    {
        await SetBudgets(("global", 1m), ("user:1", 1m));
        const string Charge = """{ "chargeId": "c1", "keys": ["global", "user:1"], "amount": 1.5, "model": "o1" }""";

        var (first, completed, _) = await _client.PostJsonAsync($"{P}/charges", Charge);
        var (second, again, _) = await _client.PostJsonAsync($"{P}/charges", Charge);

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal("completed", completed.String("status"));
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal("alreadyCompleted", again.String("status"));
        Assert.Equal(1.5m, (await _host.Store.GetBudgetAsync("acme", "global"))!.Spent);
        Assert.Equal(1.5m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.SpendByModel["o1"]);
    }

    [Fact]
    public async Task Charge_ToAKeyWithoutBudget_Is404WithTheKey_AndChargesNothing()
    {
        await SetBudgets(("global", 1m));

        var (status, body, response) = await _client.PostJsonAsync($"{P}/charges", """{ "chargeId": "c1", "keys": ["global", "user:ghost"], "amount": 0.5 }""");

        Api.AssertProblem(HttpStatusCode.NotFound, status, body, response);
        Assert.Equal("user:ghost", body.String("key"));
        Assert.Equal(0m, (await _host.Store.GetBudgetAsync("acme", "global"))!.Spent);
    }

    [Fact]
    public async Task Sweep_RollsOverEveryEndedWindow_AndCountsThem()
    {
        await _client.PutJsonAsync($"{P}/budget?key=user%3A1", """{ "definition": { "limit": 1, "period": "daily" } }""");
        await _client.PutJsonAsync($"{P}/budget?key=user%3A2", """{ "definition": { "limit": 1, "period": "monthly" } }""");
        await _client.PutJsonAsync($"{P}/budget?key=user%3A3", """{ "definition": { "limit": 1 } }""");
        _time.Advance(TimeSpan.FromDays(1));

        var (status, body, _) = await _client.SendJsonAsync(HttpMethod.Post, $"{P}/sweep");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body.GetProperty("rolledOver").GetInt32());
    }

    [Fact]
    public async Task Money_IsExactDecimal_NeverExponentNotation_InAndOut()
    {
        await SetBudgets(("user:1", 1m));

        // 1.25E-4 in: the client may write exponents; the server never does.
        await _client.PostJsonAsync($"{P}/charges", """{ "chargeId": "c1", "keys": ["user:1"], "amount": 1.25E-4, "model": "m" }""");
        await _client.PostJsonAsync($"{P}/charges", """{ "chargeId": "c2", "keys": ["user:1"], "amount": 0.0000001, "model": "m" }""");
        using HttpResponseMessage response = await _client.GetAsync(new Uri($"{P}/budget?key=user%3A1", UriKind.Relative));
        string text = await response.Content.ReadAsStringAsync();

        Assert.Contains("\"spent\":0.0001251", text, StringComparison.Ordinal);
        Assert.Contains("\"m\":0.0001251", text, StringComparison.Ordinal);
        Assert.DoesNotContain("E-", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0.0001251m, (await _host.Store.GetBudgetAsync("acme", "user:1"))!.Spent);
    }

    [Fact]
    public async Task KeysWithAnyCharacter_TravelInTheQueryString()
    {
        const string Key = "team:a/b?c=d&e #ü";

        var (status, body, _) = await _client.PutJsonAsync($"{P}/budget?key={Uri.EscapeDataString(Key)}", """{ "definition": { "limit": 1 } }""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Key, body.String("key"));
        Assert.NotNull(await _host.Store.GetBudgetAsync("acme", Key));
    }

    private async Task SetBudgets(params (string Key, decimal Limit)[] budgets)
    {
        foreach ((string key, decimal limit) in budgets)
        {
            await _host.Store.SetBudgetAsync("acme", key, new BudgetDefinition(limit));
        }
    }

    private Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Reserve(string id, decimal amount, params string[] keys) =>
        Reserve(id, amount, keys[0], Api.Epoch.AddMinutes(5), keys);

    private Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Reserve(string id, decimal amount, string key, DateTimeOffset expiresAt) =>
        Reserve(id, amount, key, expiresAt, [key]);

    private Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Reserve(string id, decimal amount, string _, DateTimeOffset expiresAt, string[] keys) =>
        _client.PostJsonAsync($"{P}/reservations", JsonSerializer.Serialize(new { reservationId = id, keys, amount, expiresAt = Api.Time(expiresAt) }));

    private Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Renew(string id, DateTimeOffset expiresAt) =>
        _client.PostJsonAsync($"{P}/reservations/renew", JsonSerializer.Serialize(new { reservationId = id, expiresAt = Api.Time(expiresAt) }));

    private Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Settle(string id, decimal actualCost, string? model) =>
        _client.PostJsonAsync($"{P}/reservations/settle", JsonSerializer.Serialize(new { reservationId = id, actualCost, model }));
}
