using System.Net;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>The RateLimit fields (draft-ietf-httpapi-ratelimit-headers-12) on the answers of endpoints with budget headers.</summary>
public sealed class RateLimitHeadersTests
{
    [Fact]
    public async Task ListsTheRequestLimits_AndDescribesTheOneWithTheSmallestShareLeft()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Requests(10, BudgetPeriod.Minutely), BudgetLimit.Requests(5, BudgetPeriod.Daily));
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage earlier = await app.SendAsync("/chat", user: "alice");
        }

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        // 6 of 10 left this minute, 1 of 5 today: today's is closer to its limit. The dollar limit is no request policy.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"per-minute requests\";q=10;w=60, \"daily requests\";q=5;w=86400", Header(response, BudgetHeaderNames.RateLimitPolicy));
        Assert.Equal("\"daily requests\";a=1;w=3600", Header(response, BudgetHeaderNames.RateLimit));
        Assert.Equal("1", Header(response, BudgetHeaderNames.Limit));
    }

    [Fact]
    public async Task DescribesTheWindowThatEndsLater_WhenTwoHaveTheSameShareLeft()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Requests(10, BudgetPeriod.Minutely), BudgetLimit.Requests(10, BudgetPeriod.Hourly));

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        // 9 of 10 in both; the minute's come back in a minute, the hour's only at midnight.
        Assert.Equal("\"hourly requests\";a=9;w=3600", Header(response, BudgetHeaderNames.RateLimit));
    }

    [Fact]
    public async Task WritesAPolicyWithoutWindow_ForARequestLimitThatNeverResets()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), new BudgetLimit(3m, unit: BudgetUnit.Requests, name: "trial"));

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        Assert.Equal("\"trial\";q=3", Header(response, BudgetHeaderNames.RateLimitPolicy));
        Assert.Equal("\"trial\";a=2", Header(response, BudgetHeaderNames.RateLimit));
    }

    [Fact]
    public async Task WritesNoRateLimitFields_ForABudgetOfDollarsAndTokensOnly()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Tokens(100_000, BudgetPeriod.Minutely));

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", Header(response, BudgetHeaderNames.Limit));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimit));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimitPolicy));
    }

    [Fact]
    public async Task EscapesQuotes_AndLeavesOutNamesAStringCannotCarryOrThatRepeatIgnoringCase()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(
            app,
            BudgetLimit.Dollars(1m, BudgetPeriod.Daily),
            new BudgetLimit(10m, BudgetPeriod.Minutely, unit: BudgetUnit.Requests, name: "say \"hi\" \\ bye"),
            new BudgetLimit(10m, BudgetPeriod.Hourly, unit: BudgetUnit.Requests, name: "stündlich"),
            new BudgetLimit(10m, BudgetPeriod.Daily, unit: BudgetUnit.Requests, name: "SAY \"HI\" \\ BYE"));

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        Assert.Equal("\"say \\\"hi\\\" \\\\ bye\";q=10;w=60", Header(response, BudgetHeaderNames.RateLimitPolicy));
        Assert.Equal("\"say \\\"hi\\\" \\\\ bye\";a=9;w=60", Header(response, BudgetHeaderNames.RateLimit));
    }

    [Fact]
    public async Task AddsTheBudgetsFieldsAfterThoseTheAppWrote()
    {
        await using TestApp app = await TestApp.StartAsync();
        await SetAliceAsync(app, BudgetLimit.Dollars(1m, BudgetPeriod.Daily), BudgetLimit.Requests(10, BudgetPeriod.Minutely));

        using HttpResponseMessage response = await app.SendAsync("/chat/headers/app-rate-limit", user: "alice");

        Assert.Equal("\"app\";q=100;w=1,\"per-minute requests\";q=10;w=60", Header(response, BudgetHeaderNames.RateLimitPolicy));
        Assert.Equal("\"app\";a=99;w=1,\"per-minute requests\";a=9;w=60", Header(response, BudgetHeaderNames.RateLimit));
    }

    private static async Task SetAliceAsync(TestApp app, params BudgetLimit[] limits) =>
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(limits));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;
}
