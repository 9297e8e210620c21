using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>Every kind of bad request: a 4xx ProblemDetails naming the problem, and the store exactly as it was.</summary>
public sealed class BadRequestTests : IAsyncLifetime
{
    private const string P = "v1/projects/acme";
    private const string Later = "2026-03-10T13:00:00+00:00";

    private readonly FakeTimeProvider _time = new(Api.Epoch);
    private BudgetServerHost _host = null!;
    private HttpClient _client = null!;

    /// <summary>name → (method, path, body, expected status, the field the answer must name: an errors key for 400, an extension for 404 and 409).</summary>
    private static readonly Dictionary<string, (string Method, string Path, string? Body, HttpStatusCode Status, string? Field)> Cases = new()
    {
        ["malformed JSON"] = ("POST", $"{P}/reservations", """{ "reservationId": "r2", """, HttpStatusCode.BadRequest, "body"),
        ["trailing garbage"] = ("POST", $"{P}/reservations/release", """{ "reservationId": "r" } x""", HttpStatusCode.BadRequest, "body"),
        ["empty body"] = ("POST", $"{P}/charges", "", HttpStatusCode.BadRequest, "body"),
        ["body not an object"] = ("POST", $"{P}/charges", """[ "a" ]""", HttpStatusCode.BadRequest, "body"),
        ["amount as a string"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["a"], "amount": "0.1", "expiresAt": "{{Later}}" }""", HttpStatusCode.BadRequest, "amount"),
        ["negative amount"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["a"], "amount": -0.01, "expiresAt": "{{Later}}" }""", HttpStatusCode.BadRequest, "amount"),
        ["amount too large for decimal"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a"], "amount": 1e40 }""", HttpStatusCode.BadRequest, "amount"),
        ["amount above the maximum"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a"], "amount": 1000000000000.01 }""", HttpStatusCode.BadRequest, "amount"),
        ["negative charge"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a"], "amount": -1 }""", HttpStatusCode.BadRequest, "amount"),
        ["negative actualCost"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "r", "actualCost": -0.5 }""", HttpStatusCode.BadRequest, "actualCost"),
        ["missing actualCost"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "r" }""", HttpStatusCode.BadRequest, "actualCost"),
        ["model of the wrong type"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "r", "actualCost": 0.1, "model": 4 }""", HttpStatusCode.BadRequest, "model"),
        ["negative limit"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": -1 } }""", HttpStatusCode.BadRequest, "definition.limit"),
        ["missing limit"] = ("POST", $"{P}/budget/get-or-create?key=c", """{ "period": "daily" }""", HttpStatusCode.BadRequest, "limit"),
        ["missing definition"] = ("PUT", $"{P}/budget?key=a", """{ "createdAt": null }""", HttpStatusCode.BadRequest, "definition"),
        ["unknown period"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "period": "fortnightly" } }""", HttpStatusCode.BadRequest, "definition.period"),
        ["period as a number"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "period": 1 } }""", HttpStatusCode.BadRequest, "definition.period"),
        ["unknown alignment"] = ("POST", $"{P}/budget/get-or-create?key=c", """{ "limit": 5, "alignment": "lunar" }""", HttpStatusCode.BadRequest, "alignment"),
        ["too many thresholds"] = ("PUT", $"{P}/budget?key=a", $$"""{ "definition": { "limit": 5, "alertThresholds": [{{string.Join(",", Enumerable.Range(1, 17).Select(i => $"0.{i:00}"))}}] } }""", HttpStatusCode.BadRequest, "definition.alertThresholds"),
        ["zero threshold"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "alertThresholds": [0.8, 0] } }""", HttpStatusCode.BadRequest, "definition.alertThresholds"),
        ["threshold above BudgetDefinition.MaxAlertThreshold"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "alertThresholds": [0.8, 1000.01] } }""", HttpStatusCode.BadRequest, "definition.alertThresholds"),
        ["createdAt near the end of time"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "period": "monthly", "alignment": "rolling" }, "createdAt": "9999-12-31T23:59:59+00:00" }""", HttpStatusCode.BadRequest, "createdAt"),
        ["expiresAt before 1970"] = ("POST", $"{P}/reservations", """{ "reservationId": "r2", "keys": ["a"], "amount": 0.1, "expiresAt": "0001-01-01T00:00:00+00:00" }""", HttpStatusCode.BadRequest, "expiresAt"),
        ["set_budget: created_at before 1970"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5, "duration": 1, "created_at": -5 } } }""", HttpStatusCode.BadRequest, "user_dict.alice.created_at"),
        ["createdAt not a time"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5 }, "createdAt": "yesterday" }""", HttpStatusCode.BadRequest, "createdAt"),
        ["unknown property"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a"], "amount": 0.1, "modle": "gpt-4o" }""", HttpStatusCode.BadRequest, "modle"),
        ["unknown nested property"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "limt": 6 } }""", HttpStatusCode.BadRequest, "definition.limt"),
        ["property in the wrong case"] = ("POST", $"{P}/reservations/release", """{ "ReservationId": "r" }""", HttpStatusCode.BadRequest, "ReservationId"),
        ["repeated property"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a"], "amount": 0.1, "amount": 0.2 }""", HttpStatusCode.BadRequest, "amount"),
        ["missing reservationId"] = ("POST", $"{P}/reservations", $$"""{ "keys": ["a"], "amount": 0.1, "expiresAt": "{{Later}}" }""", HttpStatusCode.BadRequest, "reservationId"),
        ["blank reservationId"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "  ", "actualCost": 0.1 }""", HttpStatusCode.BadRequest, "reservationId"),
        ["reservationId too long"] = ("POST", $"{P}/reservations/release", $$"""{ "reservationId": "{{new string('r', 257)}}" }""", HttpStatusCode.BadRequest, "reservationId"),
        ["blank chargeId"] = ("POST", $"{P}/charges", """{ "chargeId": "", "keys": ["a"], "amount": 0.1 }""", HttpStatusCode.BadRequest, "chargeId"),
        ["no keys"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": [], "amount": 0.1 }""", HttpStatusCode.BadRequest, "keys"),
        ["too many keys"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": [{{string.Join(",", Enumerable.Range(0, 17).Select(i => $"\"k{i}\""))}}], "amount": 0.1, "expiresAt": "{{Later}}" }""", HttpStatusCode.BadRequest, "keys"),
        ["duplicate keys"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["a", "b", "a"], "amount": 0.1, "expiresAt": "{{Later}}" }""", HttpStatusCode.BadRequest, "keys"),
        ["blank key in keys"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a", " "], "amount": 0.1 }""", HttpStatusCode.BadRequest, "keys"),
        ["null key in keys"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a", null], "amount": 0.1 }""", HttpStatusCode.BadRequest, "keys"),
        ["keys not an array"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": "a", "amount": 0.1 }""", HttpStatusCode.BadRequest, "keys"),
        ["missing expiresAt"] = ("POST", $"{P}/reservations", """{ "reservationId": "r2", "keys": ["a"], "amount": 0.1 }""", HttpStatusCode.BadRequest, "expiresAt"),
        ["expiresAt without offset"] = ("POST", $"{P}/reservations", """{ "reservationId": "r2", "keys": ["a"], "amount": 0.1, "expiresAt": "2026-03-10T13:00:00" }""", HttpStatusCode.BadRequest, "expiresAt"),
        ["missing query key"] = ("GET", $"{P}/budget", null, HttpStatusCode.BadRequest, "key"),
        ["blank query key"] = ("DELETE", $"{P}/budget?key=%20", null, HttpStatusCode.BadRequest, "key"),
        ["query key twice"] = ("POST", $"{P}/budget/reset?key=a&key=b", null, HttpStatusCode.BadRequest, "key"),
        ["query key too long"] = ("PUT", $"{P}/budget?key={new string('k', 257)}", """{ "definition": { "limit": 1 } }""", HttpStatusCode.BadRequest, "key"),
        ["project too long"] = ("GET", $"v1/projects/{new string('p', 129)}/budgets", null, HttpStatusCode.Forbidden, null),
        ["charge id of an open reservation"] = ("POST", $"{P}/charges", """{ "chargeId": "r", "keys": ["a"], "amount": 0.1 }""", HttpStatusCode.Conflict, "chargeId"),
        ["charge again with another amount"] = ("POST", $"{P}/charges", """{ "chargeId": "c1", "keys": ["b"], "amount": 0.26, "model": "gpt-4o" }""", HttpStatusCode.Conflict, "chargeId"),
        ["settle of a charge's id"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "c1", "actualCost": 0.1 }""", HttpStatusCode.Conflict, "reservationId"),
        ["release of a charge's id"] = ("POST", $"{P}/reservations/release", """{ "reservationId": "c1" }""", HttpStatusCode.Conflict, "reservationId"),
        ["reserve an open reservation's id with another amount"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r", "keys": ["a"], "amount": 0.2, "expiresAt": "{{Later}}" }""", HttpStatusCode.Conflict, "reservationId"),
        ["unknown reservation on settle"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "ghost", "actualCost": 0.1 }""", HttpStatusCode.NotFound, "reservationId"),
        ["unknown reservation on release"] = ("POST", $"{P}/reservations/release", """{ "reservationId": "ghost" }""", HttpStatusCode.NotFound, "reservationId"),
        ["charge to a key without budget"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["a", "ghost"], "amount": 0.1 }""", HttpStatusCode.NotFound, "key"),
        ["huge body"] = ("POST", $"{P}/charges", $$"""{ "chargeId": "c2", "keys": ["a"], "amount": 0.1, "model": "{{new string('m', 70_000)}}" }""", HttpStatusCode.RequestEntityTooLarge, null),
        ["unknown route"] = ("GET", $"{P}/budgetz", null, HttpStatusCode.NotFound, null),
        ["set_budget: negative total_budget"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": -5 } } }""", HttpStatusCode.BadRequest, "user_dict.alice.total_budget"),
        ["set_budget: duration LiteLLM never writes"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5, "duration": 10 } } }""", HttpStatusCode.BadRequest, "user_dict.alice.duration"),
        ["set_budget: model_cost not numbers"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5, "model_cost": { "gpt-4o": "1" } } } }""", HttpStatusCode.BadRequest, "user_dict.alice.model_cost.gpt-4o"),
        ["set_budget: a blank user"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { " ": { "total_budget": 5 } } }""", HttpStatusCode.BadRequest, "user_dict. "),
        ["set_budget: missing user_dict"] = ("POST", "set_budget", """{ "project_name": "acme" }""", HttpStatusCode.BadRequest, "user_dict"),
        ["set_budget: unknown field"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5, "max_budget": 1 } } }""", HttpStatusCode.BadRequest, "user_dict.alice.max_budget"),
        ["get_budget: missing project_name"] = ("POST", "get_budget", """{ }""", HttpStatusCode.BadRequest, "project_name"),

        // The serializer's own rules (strict System.Text.Json), each named by its field.
        ["unknown member in LiteLLM's get_budget"] = ("POST", "get_budget", """{ "project_name": "acme", "user": "alice" }""", HttpStatusCode.BadRequest, "user"),
        ["unknown member at the top of set_budget"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": {}, "save": true }""", HttpStatusCode.BadRequest, "save"),
        ["repeated property in a nested object"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5, "limit": 6 } }""", HttpStatusCode.BadRequest, "definition.limit"),
        ["repeated user in user_dict"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": 5 }, "alice": { "total_budget": 6 } } }""", HttpStatusCode.BadRequest, "user_dict.alice"),
        ["repeated project_name"] = ("POST", "get_budget", """{ "project_name": "acme", "project_name": "globex" }""", HttpStatusCode.BadRequest, "project_name"),
        ["missing member of a nested object"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "period": "daily" } }""", HttpStatusCode.BadRequest, "definition.limit"),
        ["missing keys"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "amount": 0.1 }""", HttpStatusCode.BadRequest, "keys"),
        ["set_budget: missing total_budget"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "current_cost": 1 } } }""", HttpStatusCode.BadRequest, "user_dict.alice.total_budget"),
        ["null for a required member"] = ("POST", $"{P}/reservations/release", """{ "reservationId": null }""", HttpStatusCode.BadRequest, "reservationId"),
        ["null definition"] = ("PUT", $"{P}/budget?key=a", """{ "definition": null }""", HttpStatusCode.BadRequest, "definition"),
        ["definition of the wrong type"] = ("PUT", $"{P}/budget?key=a", """{ "definition": 5 }""", HttpStatusCode.BadRequest, "definition"),
        ["createdAt as a number"] = ("PUT", $"{P}/budget?key=a", """{ "definition": { "limit": 5 }, "createdAt": 1767225600 }""", HttpStatusCode.BadRequest, "createdAt"),
        ["alignment as a number"] = ("POST", $"{P}/budget/get-or-create?key=c", """{ "limit": 5, "alignment": 1 }""", HttpStatusCode.BadRequest, "alignment"),
        ["project_name of the wrong type"] = ("POST", "get_budget", """{ "project_name": 7 }""", HttpStatusCode.BadRequest, "project_name"),
        ["set_budget: total_budget as a string"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": { "total_budget": "5" } } }""", HttpStatusCode.BadRequest, "user_dict.alice.total_budget"),
        ["set_budget: user_dict entry not an object"] = ("POST", "set_budget", """{ "project_name": "acme", "user_dict": { "alice": 5 } }""", HttpStatusCode.BadRequest, "user_dict.alice"),
        ["set_budget: user_dict entry null"] = ("POST", "set_budget", """{ "user_dict": { "carol": null }, "project_name": "acme" }""", HttpStatusCode.BadRequest, "user_dict.carol"),
        ["body is JSON null"] = ("POST", $"{P}/charges", "null", HttpStatusCode.BadRequest, "body"),

        // Budget policies: every member of the other limits, the rules between them, tokens and observe.
        ["limits: unknown unit"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "period": "daily" }, { "amount": 1, "unit": "euros" }] } }""", HttpStatusCode.BadRequest, "definition.limits[1].unit"),
        ["limits: unknown period"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "period": "fortnightly" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].period"),
        ["limits: a '*' inside a model pattern"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "models": ["gpt-4o", "claude-*", "claude-*-opus"] }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].models[2]"),
        ["limits: a lone '*' as a model pattern"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "models": ["*"] }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].models[0]"),
        ["limits: a blank model"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "name": "a" }, { "amount": 1, "models": ["gpt-4o", " "] }] } }""", HttpStatusCode.BadRequest, "definition.limits[1].models[1]"),
        ["limits: a null model"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "models": [null] }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].models[0]"),
        ["limits: too many models"] = ("PUT", $"{P}/budget?key=p", $$"""{ "definition": { "limit": 5, "limits": [{ "amount": 1, "models": [{{string.Join(", ", Enumerable.Range(0, 65).Select(i => $"\"m{i}\""))}}] }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].models"),
        ["limits: two of one name"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "name": "cap" }, { "amount": 2, "name": "cap" }] } }""", HttpStatusCode.BadRequest, "definition.limits[1].name"),
        ["limits: two of one made name"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "unit": "tokens", "period": "minutely" }, { "amount": 2, "unit": "tokens", "period": "minutely", "alignment": "rolling" }] } }""", HttpStatusCode.BadRequest, "definition.limits[1].name"),
        ["limits: the main limit's name"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "period": "monthly", "limits": [{ "amount": 1, "period": "monthly" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].name"),
        ["limits: the main limit's own name"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limitName": "team", "limits": [{ "amount": 1, "name": "team" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].name"),
        ["limits: more than BudgetDefinition.MaxLimits"] = ("PUT", $"{P}/budget?key=p", $$"""{ "definition": { "limit": 5, "limits": [{{string.Join(", ", Enumerable.Range(0, BudgetDefinition.MaxLimits).Select(i => $$$"""{ "amount": 1, "name": "l{{{i}}}" }"""))}}] } }""", HttpStatusCode.BadRequest, "definition.limits"),
        ["limits: fractional tokens"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1000.5, "unit": "tokens", "period": "minutely" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].amount"),
        ["limits: fractional requests"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 0.5, "unit": "requests", "period": "hourly" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].amount"),
        ["limits: negative amount"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": -1 }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].amount"),
        ["limits: amount above the maximum"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1e13, "unit": "tokens" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].amount"),
        ["limits: missing amount"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "unit": "tokens" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].amount"),
        ["limits: unknown member"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "perod": "daily" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].perod"),
        ["limits: a blank name"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "name": "  " }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].name"),
        ["limits: a name too long"] = ("PUT", $"{P}/budget?key=p", $$"""{ "definition": { "limit": 5, "limits": [{ "amount": 1, "name": "{{new string('n', BudgetLimit.MaxNameLength + 1)}}" }] } }""", HttpStatusCode.BadRequest, "definition.limits[0].name"),
        ["limits: a null limit"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [{ "amount": 1, "name": "a" }, null] } }""", HttpStatusCode.BadRequest, "definition.limits[1]"),
        ["limits: a limit that is not an object"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": [5] } }""", HttpStatusCode.BadRequest, "definition.limits[0]"),
        ["limits: not an array"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limits": { "amount": 1 } } }""", HttpStatusCode.BadRequest, "definition.limits"),
        ["limitName with leading space"] = ("PUT", $"{P}/budget?key=p", """{ "definition": { "limit": 5, "limitName": " team" } }""", HttpStatusCode.BadRequest, "definition.limitName"),
        ["unknown enforcement"] = ("POST", $"{P}/budget/get-or-create?key=c", """{ "limit": 5, "enforcement": "warn" }""", HttpStatusCode.BadRequest, "enforcement"),
        ["get-or-create: two limits of one name"] = ("POST", $"{P}/budget/get-or-create?key=c", """{ "limit": 5, "limits": [{ "amount": 1, "name": "cap" }, { "amount": 2, "name": "cap" }] }""", HttpStatusCode.BadRequest, "limits[1].name"),
        ["reserve: fractional tokens"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "tokens": 100.5 }""", HttpStatusCode.BadRequest, "tokens"),
        ["reserve: negative tokens"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "tokens": -1 }""", HttpStatusCode.BadRequest, "tokens"),
        ["reserve: tokens above BudgetUsage.MaxTokens"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "tokens": 1000000000001 }""", HttpStatusCode.BadRequest, "tokens"),
        ["reserve: tokens as a string"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "tokens": "100" }""", HttpStatusCode.BadRequest, "tokens"),
        ["reserve: observe not true or false"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "observe": "yes" }""", HttpStatusCode.BadRequest, "observe"),
        ["reserve: a blank model"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "r2", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "model": "" }""", HttpStatusCode.BadRequest, "model"),
        ["reserve again with other tokens"] = ("POST", $"{P}/reservations", $$"""{ "reservationId": "rp", "keys": ["p"], "amount": 0.1, "expiresAt": "{{Later}}", "tokens": 101, "model": "gpt-4o" }""", HttpStatusCode.Conflict, "reservationId"),
        ["settle: fractional tokens"] = ("POST", $"{P}/reservations/settle", """{ "reservationId": "rp", "actualCost": 0.1, "tokens": 0.5 }""", HttpStatusCode.BadRequest, "tokens"),
        ["charge: negative tokens"] = ("POST", $"{P}/charges", """{ "chargeId": "c2", "keys": ["p"], "amount": 0.1, "tokens": -5 }""", HttpStatusCode.BadRequest, "tokens"),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions { TimeProvider = _time };
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        _host = await BudgetServerHost.StartAsync(options);
        _client = _host.CreateClient(Api.AcmeKey);
        await _host.Store.SetBudgetAsync("acme", "a", new BudgetDefinition(1m, BudgetPeriod.Monthly, alertThresholds: [0.5m]));
        await _host.Store.SetBudgetAsync("acme", "b", new BudgetDefinition(2m));
        await _host.Store.ChargeAsync("acme", ["b"], 0.25m, "gpt-4o", "c1");
        Assert.True((await _host.Store.ReserveAsync("acme", ["a"], 0.10m, "r", Api.Epoch.AddHours(1))).IsReserved);

        // A budget of several limits, with a reservation in flight on each of them.
        await _host.Store.SetBudgetAsync("acme", "p", new BudgetDefinition(
            [BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), BudgetLimit.Dollars(1m, BudgetPeriod.Daily).ForModels(["gpt-4o"]), BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely), BudgetLimit.Requests(5, BudgetPeriod.Hourly)],
            [0.5m],
            BudgetEnforcement.Observe));
        Assert.True((await _host.Store.ReserveAsync("acme", ["p"], new BudgetUsage(0.1m, 100, "gpt-4o"), "rp", Api.Epoch.AddHours(1))).IsReserved);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task BadRequest_IsAnsweredWithAProblemNamingIt_AndChangesNothing(string name)
    {
        (string method, string path, string? json, HttpStatusCode expected, string? field) = Cases[name];
        string before = await Api.SnapshotAsync(_host.Store, "acme");

        var (status, body, response) = await _client.SendJsonAsync(new HttpMethod(method), path, json);

        Api.AssertProblem(expected, status, body, response);
        if (expected == HttpStatusCode.BadRequest)
        {
            JsonElement errors = body.GetProperty("errors");
            Assert.True(errors.TryGetProperty(field!, out JsonElement messages), $"errors has no '{field}': {body.GetRawText()}");
            Assert.All(messages.EnumerateArray(), m => Assert.False(string.IsNullOrWhiteSpace(m.GetString())));
            Assert.Contains(field!.Split('.')[^1], messages[0].GetString()!, StringComparison.Ordinal);
            Assert.Contains(messages[0].GetString()!, Api.Detail(body), StringComparison.Ordinal);
        }
        else if (field is not null)
        {
            Assert.Equal(JsonValueKind.String, body.GetProperty(field).ValueKind);
        }

        if (expected == HttpStatusCode.Conflict)
        {
            // What the id is used for, by name.
            Assert.Contains(body.String("conflict"), new[] { "reserved", "charged" });
        }

        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    [Fact]
    public async Task ABodyOverTheLimit_WithoutContentLength_Is413_AndChangesNothing()
    {
        string before = await Api.SnapshotAsync(_host.Store, "acme");
        byte[] bytes = Encoding.UTF8.GetBytes($$"""{ "chargeId": "c2", "keys": ["a"], "amount": 0.1, "model": "{{new string('m', 70_000)}}" }""");
        using var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{P}/charges") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await Api.SnapshotAsync(_host.Store, "acme"));
    }

    [Fact]
    public async Task ABodyThatIsNotJson_Is415()
    {
        using var content = new StringContent("reservationId=r", Encoding.UTF8, "application/x-www-form-urlencoded");

        using HttpResponseMessage response = await _client.PostAsync(new Uri($"{P}/reservations/release", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0.10m, (await _host.Store.GetBudgetAsync("acme", "a"))!.Reserved);
    }

    [Fact]
    public async Task EveryFieldAtFault_IsNamed_InOneAnswer()
    {
        var (status, body, _) = await _client.PostJsonAsync($"{P}/reservations", """{ "reservationId": "", "keys": ["a", "a"], "amount": -1, "expiresAt": "soon", "extra": true }""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(
            ["amount", "expiresAt", "extra", "keys", "reservationId"],
            body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
