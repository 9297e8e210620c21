using System.Globalization;
using System.Net;
using System.Text.Json;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>A budget with several limits: the 429 names the one that refused, in its own unit.</summary>
public sealed class RefusingLimitTests
{
    private static readonly DateTimeOffset NextMinute = new(2026, 3, 1, 23, 1, 0, TimeSpan.Zero);

    [Fact]
    public async Task NamesTheTokenLimitInItsUnit_AndLeavesTheDollarHeadersOut_WhenATokenLimitRefuses()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Tokens(1_000, BudgetPeriod.Minutely));
        using HttpResponseMessage first = await app.SendAsync("/reserve?tokens=600", user: "alice");
        app.Time.Advance(TimeSpan.FromSeconds(15));

        using HttpResponseMessage response = await app.SendAsync("/reserve?tokens=600", user: "alice");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("45", Header(response, "Retry-After"));
        Assert.Equal("2026-03-01T23:01:00Z", Header(response, BudgetHeaderNames.Reset));

        // The dollar headers never carry a count of tokens; the endpoint's own opt-in adds no other budget's either.
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Limit));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Remaining));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimit));

        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement problem = body.RootElement;
        Assert.Equal("user:alice", problem.GetProperty("budgetKey").GetString());
        Assert.Equal("per-minute tokens", problem.GetProperty("window").GetString());
        Assert.Equal("tokens", problem.GetProperty("unit").GetString());
        Assert.Equal(1_000m, problem.GetProperty("limit").GetDecimal());
        Assert.Equal(600m, problem.GetProperty("spent").GetDecimal());
        Assert.Equal(0m, problem.GetProperty("reserved").GetDecimal());
        Assert.Equal(400m, problem.GetProperty("remaining").GetDecimal());
        Assert.Equal(600m, problem.GetProperty("estimate").GetDecimal());
        Assert.Equal(NextMinute, problem.GetProperty("resetsAt").GetDateTimeOffset());
        Assert.Equal(
            "The request does not fit in the 'per-minute tokens' limit of the budget 'user:alice': it needs up to 600 tokens, and the limit has 400 tokens left of 1,000 tokens. It resets at 2026-03-01T23:01:00Z.",
            problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DescribesTheRequestLimitThatRefused_InRateLimit_AndListsEveryRequestLimit()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Requests(2, BudgetPeriod.Minutely), BudgetLimit.Requests(100, BudgetPeriod.Daily));
        for (int i = 0; i < 2; i++)
        {
            using HttpResponseMessage answered = await app.SendAsync("/chat", user: "alice");
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        app.Time.Advance(TimeSpan.FromSeconds(20));

        // Through the budgeted chat client itself: its refusal names the request limit, which the 429 describes.
        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(2, app.Model.Calls);
        Assert.Equal("40", Header(response, "Retry-After"));
        Assert.Equal("\"per-minute requests\";a=0;w=40", Header(response, BudgetHeaderNames.RateLimit));
        Assert.Equal("\"per-minute requests\";q=2;w=60, \"daily requests\";q=100;w=86400", Header(response, BudgetHeaderNames.RateLimitPolicy));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Limit));

        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement problem = body.RootElement;
        Assert.Equal("per-minute requests", problem.GetProperty("window").GetString());
        Assert.Equal("requests", problem.GetProperty("unit").GetString());
        Assert.Equal(2m, problem.GetProperty("limit").GetDecimal());
        Assert.Equal(2m, problem.GetProperty("spent").GetDecimal());
        Assert.Equal(1m, problem.GetProperty("estimate").GetDecimal());
        Assert.Contains("it needs up to 1 request, and the limit has 0 requests left of 2 requests.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DescribesTheRefusingDollarLimit_NotTheMainOne_InTheDollarHeaders()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Dollars(0.0005m, BudgetPeriod.Monthly));
        await app.Store.ChargeAsync(TestApp.Project, [BudgetKeys.ForUser("alice")], 0.0005m, null, "earlier-spend");

        using HttpResponseMessage response = await app.SendAsync("/reserve?tokens=0", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("0.0005", Header(response, BudgetHeaderNames.Limit));
        Assert.Equal("0", Header(response, BudgetHeaderNames.Remaining));
        Assert.Equal("2026-04-01T00:00:00Z", Header(response, BudgetHeaderNames.Reset));
        Assert.Equal(((30 * 24) + 1) * 3600, int.Parse(Header(response, "Retry-After")!, CultureInfo.InvariantCulture));
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("monthly", body.RootElement.GetProperty("window").GetString());
        Assert.Equal("dollars", body.RootElement.GetProperty("unit").GetString());
    }

    [Fact]
    public async Task LeavesTheRateLimitFieldsOut_WhenTheOptionIsOff()
    {
        await using TestApp app = await TestApp.StartAsync(web: o => o.RateLimitHeaders = false);
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Requests(1, BudgetPeriod.Minutely));
        using HttpResponseMessage answered = await app.SendAsync("/chat/headers", user: "alice");

        using HttpResponseMessage refused = await app.SendAsync("/reserve?tokens=0", user: "alice");

        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", Header(answered, BudgetHeaderNames.Limit));
        foreach (HttpResponseMessage response in new[] { answered, refused })
        {
            Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimit));
            Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimitPolicy));
        }
    }

    private static async Task SetAliceAsync(TestApp app, params BudgetLimit[] limits) =>
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(limits));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;
}
