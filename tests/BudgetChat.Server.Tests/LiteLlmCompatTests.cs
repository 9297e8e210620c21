using BudgetChat.LiteLlm;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using BudgetChat.Tests;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>LiteLLM's hosted BudgetManager routes: its user_dict shape in and out, over the same store.</summary>
public sealed class LiteLlmCompatTests : IAsyncLifetime
{
    private static readonly DateTimeOffset CreatedAt = Api.Epoch.AddDays(-40);
    private static readonly DateTimeOffset LastReset = Api.Epoch.AddDays(-3).AddHours(-2.5);

    private readonly FakeTimeProvider _time = new(Api.Epoch);
    private BudgetServerHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions { TimeProvider = _time };
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        _host = await BudgetServerHost.StartAsync(options);
        _client = _host.CreateClient(Api.AcmeKey);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>What LiteLLM's BudgetManager holds after create_budget(..., duration="monthly") and a few update_cost calls.</summary>
    private static string UserDict(decimal aliceCost = 1.5m, string aliceModels = """{ "gpt-4o": 1.0, "o1": 0.5 }""") => $$"""
        {
          "alice": { "total_budget": 10.0, "duration": 28, "created_at": {{Seconds(CreatedAt)}}, "last_updated_at": {{Seconds(LastReset)}},
                     "current_cost": {{Api.Money(aliceCost)}}, "model_cost": {{aliceModels}} },
          "bob": { "total_budget": 5 }
        }
        """;

    [Fact]
    public async Task SetBudget_ThenGetBudget_RoundTripsLiteLlmsUserDict()
    {
        var (setStatus, set, _) = await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");
        var (status, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");

        Assert.Equal(HttpStatusCode.OK, setStatus);
        Assert.Equal("success", set.String("status"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", got.String("status"));
        JsonElement data = got.GetProperty("data");
        Assert.Equal(["alice", "bob"], data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        JsonElement alice = data.GetProperty("alice");
        Assert.Equal(10m, alice.Decimal("total_budget"));
        Assert.Equal(31, alice.GetProperty("duration").GetInt32()); // the window's days: a month from 7 March
        Assert.Equal(Seconds(CreatedAt), alice.Decimal("created_at"));
        Assert.Equal(Seconds(LastReset), alice.Decimal("last_updated_at"));
        Assert.Equal(1.5m, alice.Decimal("current_cost"));
        Assert.Equal(1.0m, alice.GetProperty("model_cost").Decimal("gpt-4o"));
        Assert.Equal(0.5m, alice.GetProperty("model_cost").Decimal("o1"));

        // No period: LiteLLM's dict has no "duration" key at all (its update_budget_all_users tests for the key).
        JsonElement bob = data.GetProperty("bob");
        Assert.False(bob.TryGetProperty("duration", out _));
        Assert.Equal(5m, bob.Decimal("total_budget"));
        Assert.Equal(0m, bob.Decimal("current_cost"));
        Assert.Empty(bob.GetProperty("model_cost").EnumerateObject());
    }

    [Fact]
    public async Task SetBudget_WritesTheBudgetsTheV1RoutesAndTheStoreSee()
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");

        BudgetState alice = (await _host.Store.GetBudgetAsync("acme", "user:alice"))!;
        var (status, bob, _) = await _client.GetJsonAsync("v1/projects/acme/budget?key=user%3Abob");

        Assert.Equal(new BudgetDefinition(10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), alice.Definition);
        Assert.Equal(CreatedAt, alice.CreatedAt);
        Assert.Equal(LastReset, alice.WindowStart);
        Assert.Equal(LastReset.AddMonths(1), alice.WindowEnd);
        Assert.Equal(1.5m, alice.Spent);
        Assert.Equal(0m, alice.Reserved);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("none", bob.GetProperty("definition").String("period"));
    }

    [Fact]
    public async Task SetBudget_DeletesUsersMissingFromTheDict()
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");

        await _client.PostJsonAsync("set_budget", """{ "project_name": "acme", "user_dict": { "bob": { "total_budget": 5 } } }""");

        Assert.Equal(["user:bob"], (await _host.Store.ListBudgetsAsync("acme")).Select(b => b.Key));
    }

    [Fact]
    public async Task SetBudget_OnAStoreWithoutTransactions_Is501_AndChangesNothing()
    {
        var inner = new InMemoryBudgetStore();
        await inner.SetBudgetAsync("acme", "user:bob", new BudgetDefinition(5m));
        var options = new BudgetServerHostOptions { Store = new OutageStore(inner) };
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        using HttpClient client = host.CreateClient(Api.AcmeKey);

        var (status, body, _) = await client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");

        Assert.Equal(HttpStatusCode.NotImplemented, status);
        Assert.Equal("error", body.String("status"));
        Assert.Contains("ITransactionalBudgetStore", body.String("message"), StringComparison.Ordinal);
        BudgetState bob = Assert.Single(await inner.ListBudgetsAsync("acme"));
        Assert.Equal(("user:bob", 5m), (bob.Key, bob.Limit));
    }

    [Theory]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("-0e3")]
    public async Task SetBudget_NegativeZero_IsZero_NotA500(string zero)
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");

        var (status, _, _) = await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": { "bob": { "total_budget": {{zero}}, "current_cost": {{zero}} } } }""");

        Assert.Equal(HttpStatusCode.OK, status);
        BudgetState bob = Assert.Single(await _host.Store.ListBudgetsAsync("acme"));
        Assert.Equal(("user:bob", 0m, 0m), (bob.Key, bob.Limit, bob.Spent));
        Assert.Equal("0", bob.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("""{ "bob": { "total_budget": -1 } }""", "total_budget")]
    [InlineData("""{ "bob": { "total_budget": 5, "current_cost": -0.5 } }""", "current_cost")]
    [InlineData("""{ "bob": { "total_budget": 5, "model_cost": { "gpt-4o": -1 } } }""", "model_cost")]
    [InlineData("""{ "bob": { "total_budget": 5 }, "carol": { "total_budget": 1e40 } }""", "total_budget")]
    public async Task SetBudget_ABadValue_IsRefusedBeforeAnyChange_EvenOfUsersMissingFromTheDict(string userDict, string field)
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");
        string[] before = [.. (await _host.Store.ListBudgetsAsync("acme")).Select(b => $"{b.Key} {b.Limit} {b.Spent}")];

        var (status, body, _) = await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{userDict}} }""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(field, body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(before, (await _host.Store.ListBudgetsAsync("acme")).Select(b => $"{b.Key} {b.Limit} {b.Spent}"));
    }

    [Fact]
    public async Task SetBudget_FromAnOlderDict_NeverLowersSpendChargedMeanwhile()
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");
        await _host.Store.ChargeAsync("acme", ["user:alice"], 2m, "gpt-4o", "meanwhile");

        // A LiteLLM process that read the dict before the charge: its update_cost adds 0.25 to o1, then it saves.
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict(aliceCost: 1.75m, aliceModels: """{ "gpt-4o": 1.0, "o1": 0.75 }""")}} }""");

        BudgetState alice = (await _host.Store.GetBudgetAsync("acme", "user:alice"))!;
        Assert.Equal(3.0m, alice.SpendByModel["gpt-4o"]);
        Assert.Equal(0.75m, alice.SpendByModel["o1"]);
        Assert.Equal(3.75m, alice.Spent);
        Assert.Equal(LastReset, alice.WindowStart);
    }

    [Fact]
    public async Task SetBudget_ThatIsLiteLlmsResetCost_LowersSpendToZero_KeepingTheWindow()
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");
        await _host.Store.ChargeAsync("acme", ["user:alice"], 2m, "gpt-4o", "meanwhile");
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonObject dict = JsonNode.Parse(got.GetProperty("data").GetRawText())!.AsObject();

        // LiteLLM's reset_cost(user): current_cost 0 and model_cost {}, last_updated_at as it was.
        dict["alice"]!["current_cost"] = 0;
        dict["alice"]!["model_cost"] = new JsonObject();
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{dict.ToJsonString()}} }""");

        BudgetState alice = (await _host.Store.GetBudgetAsync("acme", "user:alice"))!;
        Assert.Equal(0m, alice.Spent);
        Assert.DoesNotContain(alice.SpendByModel, m => m.Value != 0m);
        Assert.Equal(LastReset, alice.WindowStart);
        Assert.Equal(5m, (await _host.Store.GetBudgetAsync("acme", "user:bob"))!.Limit);
    }

    [Fact]
    public async Task SetBudget_OfAnEndedWindow_StartsANewWindowNow_AtZero()
    {
        decimal threeDaysAgo = Seconds(Api.Epoch.AddDays(-3));
        decimal twentyNineDaysAgo = Seconds(Api.Epoch.AddDays(-29));
        await _client.PostJsonAsync("set_budget", $$"""
            { "project_name": "acme", "user_dict": { "old": { "total_budget": 10, "duration": 28, "last_updated_at": {{twentyNineDaysAgo + 86_400m}}, "current_cost": 5.0 } } }
            """);

        // What LiteLLM sends: a daily window three days old, and the existing user's 28-day window, now 29 days old.
        var (status, _, _) = await _client.PostJsonAsync("set_budget", $$"""
            { "project_name": "acme", "user_dict": {
                "new": { "total_budget": 10, "duration": 1, "created_at": {{threeDaysAgo}}, "last_updated_at": {{threeDaysAgo}}, "current_cost": 5.0 },
                "old": { "total_budget": 10, "duration": 28, "last_updated_at": {{twentyNineDaysAgo}}, "current_cost": 5.0 } } }
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        foreach (string key in (string[])["user:new", "user:old"])
        {
            BudgetState budget = (await _host.Store.GetBudgetAsync("acme", key))!;
            Assert.Equal(0m, budget.Spent);
            Assert.Equal(Api.Epoch, budget.WindowStart);
        }
    }

    [Fact]
    public async Task SetBudget_LeavesUsersWhoseDictEntryMatches_Untouched_HoldsIncluded()
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");
        Assert.True((await _host.Store.ReserveAsync("acme", ["user:alice"], 0.4m, "in-flight", Api.Epoch.AddHours(1))).IsReserved);
        BudgetState before = (await _host.Store.GetBudgetAsync("acme", "user:alice"))!;
        _time.Advance(TimeSpan.FromMinutes(5));

        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");

        BudgetState after = (await _host.Store.GetBudgetAsync("acme", "user:alice"))!;
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
        Assert.Equal(0.4m, after.Reserved);
        Assert.Equal(1.5m, after.Spent);
    }

    [Fact]
    public async Task SetBudget_SplitsCurrentCostByModel_NeverChargingMoreThanCurrentCost()
    {
        // Float sums in LiteLLM can leave model costs a hair above or below the total.
        await _client.PostJsonAsync("set_budget", """
            { "project_name": "acme", "user_dict": {
                "over": { "total_budget": 1, "current_cost": 0.3, "model_cost": { "a": 0.1, "b": 0.20000000000000004 } },
                "under": { "total_budget": 1, "current_cost": 0.30000000000000004, "model_cost": { "a": 0.1, "b": 0.2 } } } }
            """);

        BudgetState over = (await _host.Store.GetBudgetAsync("acme", "user:over"))!;
        BudgetState under = (await _host.Store.GetBudgetAsync("acme", "user:under"))!;
        Assert.Equal(0.3m, over.Spent);
        Assert.Equal(0.2m, over.SpendByModel["b"]);
        Assert.Equal(0.3m, under.Spent); // held at BudgetAmounts.Scale: the float's tail is below a picodollar
        Assert.Equal(0.2m, under.SpendByModel["b"]);
    }

    [Theory]
    [InlineData("\"daily\"", BudgetPeriod.Daily, 1)]
    [InlineData("\"weekly\"", BudgetPeriod.Weekly, 7)]
    [InlineData("\"monthly\"", BudgetPeriod.Monthly, 31)] // a month from 10 March
    [InlineData("\"yearly\"", BudgetPeriod.Yearly, 365)]
    [InlineData("1", BudgetPeriod.Daily, 1)]
    [InlineData("30", BudgetPeriod.Monthly, 31)]
    [InlineData("365", BudgetPeriod.Yearly, 365)]
    [InlineData("null", BudgetPeriod.None, null)]
    public async Task Duration_IsReadAsDaysOrNames_AndWrittenAsTheWindowsDays(string duration, BudgetPeriod period, int? days)
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": { "u": { "total_budget": 1, "duration": {{duration}} } } }""");
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");

        Assert.Equal(period, (await _host.Store.GetBudgetAsync("acme", "user:u"))!.Definition.Period);
        JsonElement user = got.GetProperty("data").GetProperty("u");
        Assert.Equal(days, user.TryGetProperty("duration", out JsonElement written) ? written.GetInt32() : null);
    }

    [Fact]
    public async Task GetBudget_ShowsBudgetsMadeThroughV1_WithTheirKeysMappedAsInUserCostJson()
    {
        await _host.Store.SetBudgetAsync("acme", "user:1234", new BudgetDefinition(10m, BudgetPeriod.Monthly));
        await _host.Store.SetBudgetAsync("acme", "global", new BudgetDefinition(50m));
        await _host.Store.SetBudgetAsync("acme", "user:budgetchat:odd", new BudgetDefinition(1m));
        await _host.Store.ChargeAsync("acme", ["user:1234", "global"], 1.25m, "gpt-4o", "c1");

        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");

        JsonElement data = got.GetProperty("data");
        Assert.Equal(["1234", "budgetchat:odd"], data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        JsonElement user = data.GetProperty("1234");
        Assert.Equal(31, user.GetProperty("duration").GetInt32()); // March
        Assert.Equal(Seconds(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)), user.Decimal("last_updated_at"));
        Assert.Equal(1.25m, user.Decimal("current_cost"));
        Assert.Equal(1.25m, user.GetProperty("model_cost").Decimal("gpt-4o"));
    }

    [Fact]
    public async Task GetBudget_NamesEveryUser_AsUserCostJsonNamesThem()
    {
        string[] keys = ["user:alice", "user:budgetchat", "user:budgetchat:odd", "global", "team:a"];
        using var folder = new TempDirectory();
        var local = new InMemoryBudgetStore(timeProvider: _time);
        foreach (string key in keys)
        {
            await local.SetBudgetAsync("acme", key, new BudgetDefinition(1m));
            await _host.Store.SetBudgetAsync("acme", key, new BudgetDefinition(1m));
        }

        string path = Path.Combine(folder.Path, "user_cost.json");
        await LiteLlmUserCostFile.ExportAsync(local, "acme", path);
        using JsonDocument written = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");

        string[] fileNames = [.. written.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(["alice", "budgetchat", "budgetchat:odd"], fileNames);
        Assert.Equal(fileNames, got.GetProperty("data").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("budgetchat", "user:budgetchat")]
    [InlineData("budgetchat:global", "user:budgetchat:global")]
    [InlineData("budgetchat:user:x", "user:budgetchat:user:x")]
    public async Task SetBudget_OfAUserOfAnyName_RoundTripsUnderThatName(string name, string key)
    {
        var (setStatus, _, _) = await _client.PostJsonAsync("set_budget", $$"""
            { "project_name": "acme", "user_dict": { "{{name}}": { "total_budget": 3, "duration": 7, "current_cost": 0.5, "model_cost": { "gpt-4o": 0.5 } } } }
            """);
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonElement data = got.GetProperty("data");

        // What LiteLLM's client does next: send the dict it read back, unchanged.
        var (againStatus, _, _) = await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{data.GetRawText()}} }""");

        Assert.Equal(HttpStatusCode.OK, setStatus);
        Assert.Equal([name], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.5m, data.GetProperty(name).Decimal("current_cost"));
        Assert.Equal(HttpStatusCode.OK, againStatus);
        BudgetState budget = Assert.Single(await _host.Store.ListBudgetsAsync("acme"));
        Assert.Equal(key, budget.Key);
        Assert.Equal(new BudgetDefinition(3m, BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling), budget.Definition);
        Assert.Equal(0.5m, budget.Spent);
    }

    [Fact]
    public async Task SetBudget_KeepsTheAlignmentAndThresholdsLiteLlmDoesNotKnow()
    {
        await _host.Store.SetBudgetAsync("acme", "user:1234", new BudgetDefinition(10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, [0.8m]));
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonElement user = got.GetProperty("data").GetProperty("1234");

        // What LiteLLM's client would send back after its update_cost: the same entry with more spend and a raised limit.
        await _client.PostJsonAsync("set_budget", $$"""
            { "project_name": "acme", "user_dict": { "1234": { "total_budget": 12, "duration": 28,
              "created_at": {{user.GetProperty("created_at").GetRawText()}}, "last_updated_at": {{user.GetProperty("last_updated_at").GetRawText()}},
              "current_cost": 0.5, "model_cost": { "gpt-4o": 0.5 } } } }
            """);

        BudgetState state = (await _host.Store.GetBudgetAsync("acme", "user:1234"))!;
        Assert.Equal(new BudgetDefinition(12m, BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar, [0.8m]), state.Definition);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), state.WindowStart);
        Assert.Equal(0.5m, state.Spent);
    }

    [Fact]
    public async Task GetBudget_OfAProjectWithoutBudgets_IsLiteLlmsStatusError()
    {
        var options = new BudgetServerHostOptions();
        await using BudgetServerHost open = await BudgetServerHost.StartAsync(options);

        var (status, body, _) = await open.CreateClient().PostJsonAsync("get_budget", """{ "project_name": "unknown-project" }""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("error", body.String("status"));
        Assert.Contains("unknown-project", body.String("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetBudget_WithAnEmptyDict_DeletesEveryBudget_AndGetBudgetThenSaysError()
    {
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{UserDict()}} }""");

        var (status, body, _) = await _client.PostJsonAsync("set_budget", """{ "project_name": "acme", "user_dict": {} }""");
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", body.String("status"));
        Assert.Empty(await _host.Store.ListBudgetsAsync("acme"));
        Assert.Equal("error", got.String("status"));
    }

    [Fact]
    public async Task ConcurrentSetBudgets_OfOneProject_EachApplyAsAWhole()
    {
        Task<(HttpStatusCode, JsonElement, HttpResponseMessage)>[] saves = [.. Enumerable.Range(1, 8).Select(i =>
            _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": { "u": { "total_budget": {{i}}, "current_cost": {{i}}, "model_cost": { "m": {{i}} } } } }"""))];
        await Task.WhenAll(saves);

        BudgetState state = (await _host.Store.GetBudgetAsync("acme", "user:u"))!;
        Assert.All(saves, s => Assert.Equal(HttpStatusCode.OK, s.Result.Item1));
        Assert.InRange(state.Limit, 1m, 8m);
        Assert.Equal(8m, state.Spent); // never lowered: each dict raised it to its own, or found it higher
        Assert.Equal(8m, state.SpendByModel["m"]);
    }

    /// <summary>
    /// A calendar month as LiteLLM's hosted client lives with it: load_data (/get_budget), update_budget_all_users,
    /// save_data (/set_budget). Its reset_on_duration must leave the spend alone until the month ends, in a month of
    /// 29 or 31 days, at a year end, and in Berlin's months that daylight saving makes an hour shorter or longer.
    /// </summary>
    [Theory]
    [InlineData("UTC", "2026-03-29T12:00:00Z")] // day 29: LiteLLM's 28-day month would have reset it
    [InlineData("UTC", "2024-02-29T12:00:00Z")] // 29 February of a leap year
    [InlineData("UTC", "2026-01-31T23:59:00Z")]
    [InlineData("UTC", "2026-12-31T23:00:00Z")]
    [InlineData("Europe/Berlin", "2026-03-31T21:00:00Z")] // the last hour of Berlin's March, 30 days 23 hours long
    [InlineData("Europe/Berlin", "2026-10-31T22:00:00Z")] // the last hour of Berlin's October, 31 days 1 hour long
    [InlineData("Europe/Berlin", "2026-12-31T22:30:00Z")] // the last half hour of the year in Berlin
    public async Task CalendarMonth_LiteLlmsUpdateBudgetAllUsers_ResetsItExactlyAtItsEnd(string timeZone, string now)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        var options = new BudgetServerHostOptions { TimeProvider = time };
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        options.Configuration["BudgetServer:TimeZone"] = timeZone;
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        using HttpClient client = host.CreateClient(Api.AcmeKey);
        BudgetState month = await host.Store.SetBudgetAsync("acme", "user:m", new BudgetDefinition(10m, BudgetPeriod.Monthly, BudgetWindowAlignment.Calendar));
        await host.Store.ChargeAsync("acme", ["user:m"], 5m, "gpt-4o", "c1");

        var (_, got, _) = await client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonObject held = JsonNode.Parse(got.GetProperty("data").GetRawText())!.AsObject();
        JsonObject saved = UpdateBudgetAllUsers(held.DeepClone().AsObject(), time.GetUtcNow());
        await client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{saved.ToJsonString()}} }""");
        BudgetState during = (await host.Store.GetBudgetAsync("acme", "user:m"))!;

        time.SetUtcNow(month.WindowEnd!.Value);
        JsonObject atEnd = UpdateBudgetAllUsers(held, time.GetUtcNow());

        Assert.Equal(5m, saved["m"]!["current_cost"]!.GetValue<decimal>());
        Assert.Equal(5m, during.Spent);
        Assert.Equal(month.WindowStart, during.WindowStart);
        Assert.Equal(0m, atEnd["m"]!["current_cost"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task BudgetsThatAreNoUser_AreNotInTheDict_AndSetBudgetLeavesThemAlone()
    {
        string[] others = ["global", "team:search", "user:"];
        foreach (string key in others)
        {
            await _host.Store.SetBudgetAsync("acme", key, new BudgetDefinition(50m));
            await _host.Store.ChargeAsync("acme", [key], 1.25m, "gpt-4o", "c-" + key);
        }

        await _host.Store.SetBudgetAsync("acme", "user:alice", new BudgetDefinition(5m));

        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonElement data = got.GetProperty("data");
        await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": {{data.GetRawText()}} }""");
        var (status, _, _) = await _client.PostJsonAsync("set_budget", """{ "project_name": "acme", "user_dict": { "bob": { "total_budget": 1 } } }""");

        Assert.Equal(["alice"], data.EnumerateObject().Select(p => p.Name)); // LiteLLM's get_users()
        Assert.Equal(HttpStatusCode.OK, status);
        IReadOnlyList<BudgetState> budgets = await _host.Store.ListBudgetsAsync("acme");
        Assert.Equal(["global", "team:search", "user:", "user:bob"], budgets.Select(b => b.Key).Order(StringComparer.Ordinal));
        Assert.All(budgets.Where(b => others.Contains(b.Key)), b => Assert.Equal((50m, 1.25m), (b.Limit, b.Spent)));
    }

    [Fact]
    public async Task GetBudget_OfABudgetWithPolicies_PublishesItsMainLimit_AndSetBudgetChangesThatOnly()
    {
        BudgetLimit premium = BudgetLimit.Dollars(1m, BudgetPeriod.Daily).ForModels(["gpt-4o"], "premium");
        BudgetLimit tokens = BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely);
        await _host.Store.SetBudgetAsync("acme", "user:1234", new BudgetDefinition([BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), premium, tokens], [0.8m], BudgetEnforcement.Observe));
        await _host.Store.ChargeAsync("acme", ["user:1234"], new BudgetUsage(0.5m, 200, "gpt-4o"), "c1");
        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonElement user = got.GetProperty("data").GetProperty("1234");

        // LiteLLM's update_cost and a raised limit, sent back as its save_data does.
        var (status, _, _) = await _client.PostJsonAsync("set_budget", $$"""
            { "project_name": "acme", "user_dict": { "1234": { "total_budget": 12, "duration": {{user.GetProperty("duration").GetRawText()}},
              "created_at": {{user.GetProperty("created_at").GetRawText()}}, "last_updated_at": {{user.GetProperty("last_updated_at").GetRawText()}},
              "current_cost": 0.75, "model_cost": { "gpt-4o": 0.75 } } } }
            """);

        Assert.Equal(["total_budget", "duration", "created_at", "last_updated_at", "current_cost", "model_cost"], user.EnumerateObject().Select(p => p.Name));
        Assert.Equal((10m, 31, 0.5m), (user.Decimal("total_budget"), user.GetProperty("duration").GetInt32(), user.Decimal("current_cost")));
        Assert.Equal(HttpStatusCode.OK, status);
        BudgetState state = (await _host.Store.GetBudgetAsync("acme", "user:1234"))!;
        Assert.Equal(new BudgetDefinition([BudgetLimit.Dollars(12m, BudgetPeriod.Monthly), premium, tokens], [0.8m], BudgetEnforcement.Observe), state.Definition);
        Assert.Equal([0.75m, 0.75m, 200m], state.Windows.Select(w => w.Spent));
    }

    [Fact]
    public async Task SetBudget_ThatMakesABudgetDaily_BesideADailyLimit_NamesItsMainLimitApart()
    {
        await _host.Store.SetBudgetAsync("acme", "user:u", new BudgetDefinition([BudgetLimit.Dollars(10m, BudgetPeriod.Monthly), BudgetLimit.Dollars(1m, BudgetPeriod.Daily)]));

        var (status, _, _) = await _client.PostJsonAsync("set_budget", """{ "project_name": "acme", "user_dict": { "u": { "total_budget": 3, "duration": 1 } } }""");

        Assert.Equal(HttpStatusCode.OK, status);
        BudgetState state = (await _host.Store.GetBudgetAsync("acme", "user:u"))!;
        Assert.Equal([("daily (main)", 3m), ("daily", 1m)], state.Definition.Limits.Select(l => (l.Name, l.Amount)));
    }

    /// <summary>
    /// An hour or a minute as LiteLLM's hosted client lives with it. /get_budget publishes the fraction of a day that
    /// LiteLLM's float arithmetic (<c>duration * 24 * 60 * 60</c>) makes exactly the window; what LiteLLM saves back (its
    /// float's shortest text) keeps the period and the window; its reset_on_duration fires at the window's end, not before.
    /// </summary>
    [Theory]
    [InlineData(BudgetPeriod.Hourly, 3_600)]
    [InlineData(BudgetPeriod.Minutely, 60)]
    public async Task HourlyAndMinutely_ArePublishedSoThatLiteLlmsArithmeticEndsTheirWindowsWhereTheStoreDoes(BudgetPeriod period, double seconds)
    {
        _time.SetUtcNow(Api.Epoch.AddMinutes(34).AddSeconds(56));
        BudgetState budget = await _host.Store.SetBudgetAsync("acme", "user:h", new BudgetDefinition(1m, period, BudgetWindowAlignment.Calendar));
        await _host.Store.ChargeAsync("acme", ["user:h"], 0.25m, "gpt-4o", "c1");

        var (_, got, _) = await _client.PostJsonAsync("get_budget", """{ "project_name": "acme" }""");
        JsonElement user = got.GetProperty("data").GetProperty("h");
        double duration = double.Parse(user.GetProperty("duration").GetRawText(), System.Globalization.CultureInfo.InvariantCulture);
        double lastUpdatedAt = double.Parse(user.GetProperty("last_updated_at").GetRawText(), System.Globalization.CultureInfo.InvariantCulture);
        double end = (double)Seconds(budget.WindowEnd!.Value);

        // LiteLLM's reset_on_duration, in Python's floats.
        Assert.Equal(seconds, duration * 24 * 60 * 60);
        Assert.False(end - 1 - lastUpdatedAt >= duration * 24 * 60 * 60);
        Assert.True(end - lastUpdatedAt >= duration * 24 * 60 * 60);

        // LiteLLM's save_data of what it read: json.dumps writes the float's shortest text.
        string saved = user.GetRawText().Replace(user.GetProperty("duration").GetRawText(), duration.ToString("R", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var (status, _, _) = await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": { "h": {{saved}} } }""");
        BudgetState kept = (await _host.Store.GetBudgetAsync("acme", "user:h"))!;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new BudgetDefinition(1m, period, BudgetWindowAlignment.Calendar), kept.Definition);
        Assert.Equal((budget.WindowStart, budget.WindowEnd, 0.25m), (kept.WindowStart, kept.WindowEnd, kept.Spent));
    }

    [Theory]
    [InlineData("0.041666666666666664", BudgetPeriod.Hourly, 60)]
    [InlineData("0.0006944444444444445", BudgetPeriod.Minutely, 1)]
    public async Task SetBudget_ReadsLiteLlmsFloatOfAnHourOrAMinute_AsThatPeriod(string duration, BudgetPeriod period, int minutes)
    {
        var (status, _, _) = await _client.PostJsonAsync("set_budget", $$"""{ "project_name": "acme", "user_dict": { "n": { "total_budget": 1, "duration": {{duration}}, "last_updated_at": {{Seconds(Api.Epoch)}} } } }""");

        Assert.Equal(HttpStatusCode.OK, status);
        BudgetState created = (await _host.Store.GetBudgetAsync("acme", "user:n"))!;
        Assert.Equal(new BudgetDefinition(1m, period, BudgetWindowAlignment.Rolling), created.Definition);
        Assert.Equal((Api.Epoch, Api.Epoch.AddMinutes(minutes)), (created.WindowStart, created.WindowEnd));
    }

    /// <summary>LiteLLM's update_budget_all_users on the dict it holds: reset_on_duration for each user with a duration.</summary>
    private static JsonObject UpdateBudgetAllUsers(JsonObject dict, DateTimeOffset now)
    {
        decimal seconds = Seconds(now);
        foreach ((string _, JsonNode? node) in dict)
        {
            JsonObject user = node!.AsObject();
            if (user.ContainsKey("duration") && seconds - user["last_updated_at"]!.GetValue<decimal>() >= user["duration"]!.GetValue<decimal>() * 86_400m)
            {
                user["current_cost"] = 0m;
                user["model_cost"] = new JsonObject();
                user["last_updated_at"] = seconds;
            }
        }

        return dict;
    }

    private static decimal Seconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (decimal)TimeSpan.TicksPerSecond;
}
