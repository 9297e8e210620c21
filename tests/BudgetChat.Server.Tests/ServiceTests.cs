using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace BudgetChat.Server.Tests;

/// <summary>What surrounds the routes: OpenAPI, health, options validated at start, errors as ProblemDetails.</summary>
public sealed class ServiceTests
{
    [Fact]
    public async Task OpenApiDocument_DescribesEveryRoute_AndTheBearerScheme()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();

        var (status, document, _) = await host.CreateClient().GetJsonAsync("openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement paths = document.GetProperty("paths");
        string[] expected =
        [
            "/v1/projects/{project}/budgets", "/v1/projects/{project}/budget", "/v1/projects/{project}/budget/get-or-create",
            "/v1/projects/{project}/budget/reset", "/v1/projects/{project}/reservations", "/v1/projects/{project}/reservations/settle",
            "/v1/projects/{project}/reservations/release", "/v1/projects/{project}/charges", "/v1/projects/{project}/sweep",
            "/get_budget", "/set_budget",
        ];
        Assert.All(expected, path => Assert.True(paths.TryGetProperty(path, out _), $"missing {path}"));
        Assert.Equal(["delete", "get", "put"], paths.GetProperty("/v1/projects/{project}/budget").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").String("scheme"));
    }

    [Fact]
    public async Task OpenApiDocument_ShowsBudgetPolicies_WithAnExampleTheServiceTakes()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();
        HttpClient client = host.CreateClient();

        var (_, document, _) = await client.GetJsonAsync("openapi/v1.json");
        JsonElement schemas = document.GetProperty("components").GetProperty("schemas");
        JsonElement definition = schemas.GetProperty("DefinitionDto");
        JsonElement example = definition.GetProperty("examples")[0];
        var (status, created, _) = await client.PostJsonAsync("v1/projects/acme/budget/get-or-create?key=user%3A1234", example.GetRawText());

        Assert.Equal(["alertThresholds", "alignment", "enforcement", "limit", "limitName", "limits", "period"], definition.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["alignment", "amount", "models", "name", "period", "unit"], schemas.GetProperty("LimitDto").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains("runsOutAt", schemas.GetProperty("WindowDto").GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["budget", "key", "status", "window", "wouldHaveRefused"], schemas.GetProperty("ReserveResponse").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        JsonElement tokens = schemas.GetProperty("ReserveRequest").GetProperty("properties").GetProperty("tokens");
        Assert.Equal(["integer", "null"], tokens.GetProperty("type").EnumerateArray().Select(t => t.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(BudgetUsage.MaxTokens, tokens.GetProperty("maximum").GetInt64());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(
            System.Text.Json.Nodes.JsonNode.Parse(example.GetProperty("limits").GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(created.GetProperty("definition").GetProperty("limits").GetRawText())));
        Assert.Equal(["monthly", "daily", "premium", "per-minute tokens"], created.GetProperty("windows").EnumerateArray().Select(w => w.String("name")));
    }

    [Fact]
    public async Task Health_IsHealthy_WhenTheStoreAnswers()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();

        using HttpResponseMessage response = await host.CreateClient().GetAsync(new Uri("health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_IsUnhealthy_WhenTheStoreFails()
    {
        IBudgetStore store = Substitute.For<IBudgetStore>();
        store.ListBudgetsAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).ThrowsAsync(new IOException("disk gone"));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = store });

        using HttpResponseMessage response = await host.CreateClient().GetAsync(new Uri("health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AStoreFailure_IsA500ProblemDetails_WithoutInternals()
    {
        IBudgetStore store = Substitute.For<IBudgetStore>();
        store.ListBudgetsAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).ThrowsAsync(new InvalidOperationException("secret internals"));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = store });

        var (status, body, response) = await host.CreateClient().GetJsonAsync("v1/projects/acme/budgets");

        Api.AssertProblem(HttpStatusCode.InternalServerError, status, body, response);
        Assert.DoesNotContain("secret internals", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheServedStore_IsTheOneRegistered_AndItsClockTheServers()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Api.Epoch);
        var store = new InMemoryBudgetStore(timeProvider: time);
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = store, TimeProvider = time });

        var (_, budget, _) = await host.CreateClient().PutJsonAsync("v1/projects/acme/budget?key=k", """{ "definition": { "limit": 1 } }""");

        Assert.Same(store, host.Store);
        Assert.NotNull(await store.GetBudgetAsync("acme", "k"));
        Assert.Equal(Api.Epoch, budget.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("BudgetServer:ApiKeys:0:Key", "short-secret", "shorter than 16")]
    [InlineData("BudgetServer:ApiKeys:0:Key", "has a space in the secret", "white space")]
    [InlineData("BudgetServer:ApiKeys:0:Project", " ", "Project")]
    [InlineData("BudgetServer:MaxRequestBodyBytes", "0", "MaxRequestBodyBytes")]
    [InlineData("BudgetServer:TimeZone", "Mars/Olympus_Mons", "TimeZone")]
    [InlineData("BudgetServer:DataDirectory", " ", "DataDirectory")]
    [InlineData("BudgetServer:CompletedIdRetention", "-00:01:00", "CompletedIdRetention")]
    [InlineData("BudgetServer:ApiKeys:0:Project", "project-name-far-too-long-for-the-service-project-name-far-too-long-for-the-service-project-name-far-too-long-for-the-service-abcdefgh", "Project is longer than 128")]
    [InlineData("BudgetServer:MaxRequestBodyBytes", "70000000", "MaxRequestBodyBytes")]
    [InlineData("BudgetServer:ResetService:Interval", "00:00:00", "BudgetResetServiceOptions.Interval")]
    [InlineData("BudgetServer:ResetService:SpendRetention", "-1.00:00:00", "BudgetResetServiceOptions.SpendRetention")]
    public async Task InvalidOptions_StopTheStart_WithAMessageThatNeverShowsAKey(string setting, string value, string named)
    {
        var options = new BudgetServerHostOptions();
        options.Configuration["BudgetServer:ApiKeys:0:Project"] = "acme";
        options.Configuration["BudgetServer:ApiKeys:0:Key"] = Api.AcmeKey;
        options.Configuration[setting] = value;

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => BudgetServerHost.StartAsync(options));

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Api.AcmeKey, ex.Message, StringComparison.Ordinal);
        if (setting.EndsWith(":Key", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheSameKeyForTwoProjects_StopsTheStart()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.AcmeKey));

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => BudgetServerHost.StartAsync(options));

        Assert.Contains("ApiKeys:1:Key", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Api.AcmeKey, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxRequestBodyBytes_IsConfigurable()
    {
        var options = new BudgetServerHostOptions();
        options.Configuration["BudgetServer:MaxRequestBodyBytes"] = "2048";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        HttpClient client = host.CreateClient();

        var (small, _, _) = await client.PutJsonAsync("v1/projects/acme/budget?key=k", """{ "definition": { "limit": 1 } }""");
        var (large, _, _) = await client.PostJsonAsync("v1/projects/acme/reservations/release", $$"""{ "reservationId": "{{new string('r', 3000)}}" }""");

        Assert.Equal(HttpStatusCode.OK, small);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large);
    }

    [Fact]
    public async Task TheConfiguredTimeZone_AlignsCalendarWindows()
    {
        var options = new BudgetServerHostOptions { TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Api.Epoch) };
        options.Configuration["BudgetServer:TimeZone"] = "Asia/Tashkent";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        var (_, budget, _) = await host.CreateClient().PutJsonAsync("v1/projects/acme/budget?key=k", """{ "definition": { "limit": 1, "period": "daily" } }""");

        // 12:00 UTC is 17:00 in Tashkent (UTC+5, no daylight saving): its day started at 19:00 UTC the day before.
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 19, 0, 0, TimeSpan.Zero), budget.GetProperty("windowStart").GetDateTimeOffset());
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("%01acme")]
    [InlineData("ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp")]
    public async Task AnInvalidProjectName_Is400NamingTheProject(string project)
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync();

        var (status, body, response) = await host.CreateClient().GetJsonAsync($"v1/projects/{project}/budgets");

        Api.AssertProblem(HttpStatusCode.BadRequest, status, body, response);
        Assert.True(body.GetProperty("errors").TryGetProperty("project", out _));
    }

    [Fact]
    public async Task StartingWithKeys_LogsHowManyButNeverWhich()
    {
        var logs = new FakeLogCollector();
        var options = new BudgetServerHostOptions { ConfigureBuilder = b => b.Logging.AddProvider(new FakeLoggerProvider(logs)) };
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.GlobexKey));

        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        FakeLogRecord started = Assert.Single(logs.GetSnapshot(), r => r.Message.Contains("accepts 2 API keys for 2 projects", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, started.Level);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }
}
