using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.AspNetCore.Tests;

public sealed class RefusalTests
{
    [Theory]
    [InlineData("/chat")]
    [InlineData("/chat/stream")]
    public async Task Returns429ProblemDetails_WithRetryAfterAndBudgetHeaders_WhenTheUserBudgetIsSpent(string path)
    {
        await using TestApp app = await TestApp.StartAsync();
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0.001m, BudgetPeriod.Daily));
        await app.Store.ChargeAsync(TestApp.Project, [BudgetKeys.ForUser("alice")], 0.00099m, null, "earlier-spend");

        using HttpResponseMessage response = await app.SendAsync(path, user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(0, app.Model.Calls);
        Assert.Equal("3600", Header(response, "Retry-After"));
        Assert.Equal("0.001", Header(response, BudgetHeaderNames.Limit));
        Assert.Equal("0.00001", Header(response, BudgetHeaderNames.Remaining));
        Assert.Equal("2026-03-02T00:00:00Z", Header(response, BudgetHeaderNames.Reset));

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        string json = await response.Content.ReadAsStringAsync();
        using JsonDocument body = JsonDocument.Parse(json);
        JsonElement problem = body.RootElement;
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal("Budget exceeded", problem.GetProperty("title").GetString());
        Assert.Equal("user:alice", problem.GetProperty("budgetKey").GetString());
        Assert.Equal(0.001m, problem.GetProperty("limit").GetDecimal());
        Assert.Equal(0.00001m, problem.GetProperty("remaining").GetDecimal());
        Assert.True(problem.GetProperty("estimate").GetDecimal() > 0.00001m);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), problem.GetProperty("resetsAt").GetDateTimeOffset());
        Assert.Contains("\"remaining\":0.00001,", json, StringComparison.Ordinal);

        // The limit that refused, by name and unit, with what it had counted.
        Assert.Equal("daily", problem.GetProperty("window").GetString());
        Assert.Equal("dollars", problem.GetProperty("unit").GetString());
        Assert.Equal(0.00099m, problem.GetProperty("spent").GetDecimal());
        Assert.Equal(0m, problem.GetProperty("reserved").GetDecimal());
        Assert.StartsWith("The request does not fit in the 'daily' limit of the budget 'user:alice': it needs up to $", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing was charged or left held.
        BudgetState alice = (await app.GetUserBudgetAsync("alice"))!;
        Assert.Equal(0.00099m, alice.Spent);
        Assert.Equal(0m, alice.Reserved);

        // At the rate of the day so far the rest lasts 14 minutes, and the body says when it runs out.
        Assert.NotNull(alice.RunsOutAt);
        Assert.InRange(alice.RunsOutAt.Value, TestApp.Now, TestApp.Now.AddHours(1));
        Assert.Equal(alice.RunsOutAt, problem.GetProperty("runsOutAt").GetDateTimeOffset());

        // A budget without request limits has nothing the RateLimit fields can say.
        Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimit));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.RateLimitPolicy));
    }

    [Fact]
    public async Task CountsRetryAfterInWholeSecondsRoundedUp()
    {
        await using TestApp app = await TestApp.StartAsync();
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0m, BudgetPeriod.Daily));
        app.Time.Advance(TimeSpan.FromSeconds(1.5));

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("3599", Header(response, "Retry-After"));
    }

    [Fact]
    public async Task OmitsRetryAfterAndReset_WhenTheBudgetNeverResets()
    {
        await using TestApp app = await TestApp.StartAsync();
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0m));

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.False(response.Headers.Contains("Retry-After"));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Reset));
        Assert.Equal("0", Header(response, BudgetHeaderNames.Limit));
        Assert.Equal("0", Header(response, BudgetHeaderNames.Remaining));
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(body.RootElement.TryGetProperty("resetsAt", out _));
        Assert.EndsWith("It does not reset by itself.", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, app.Model.Calls);
    }

    [Fact]
    public async Task DescribesTheGlobalBudget_WhenItIsTheOneThatRefuses()
    {
        await using TestApp app = await TestApp.StartAsync(budget: o =>
        {
            o.MaxBudget = 0m;
            o.GlobalBudgetPeriod = BudgetPeriod.Monthly;
        });

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(BudgetKeys.Global, body.RootElement.GetProperty("budgetKey").GetString());
        Assert.Equal("0", Header(response, BudgetHeaderNames.Limit));
        Assert.Equal("2026-04-01T00:00:00Z", Header(response, BudgetHeaderNames.Reset));
        Assert.Equal(((30 * 24) + 1) * 3600, int.Parse(Header(response, "Retry-After")!, CultureInfo.InvariantCulture));
        Assert.Equal(0, app.Model.Calls);
    }

    [Fact]
    public async Task Returns403_WhenTheUserHasNoBudgetAndNoneIsCreated()
    {
        await using TestApp app = await TestApp.StartAsync(budget: o => o.DefaultUserBudget = null);

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("No budget", body.RootElement.GetProperty("title").GetString());
        Assert.Contains("'alice'", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, app.Model.Calls);
    }

    [Fact]
    public async Task Returns429_WhenTheRefusalArrivesWrappedInAnotherException()
    {
        await using TestApp app = await TestApp.StartAsync();
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0m, BudgetPeriod.Daily));

        using HttpResponseMessage response = await app.SendAsync("/chat/wrapped", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("3600", Header(response, "Retry-After"));
    }

    [Fact]
    public async Task LeavesOtherExceptionsToTheAppsOwnHandlers()
    {
        await using TestApp app = await TestApp.StartAsync(services: s => s.AddExceptionHandler<TeapotHandler>());
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0m, BudgetPeriod.Daily));

        using HttpResponseMessage refused = await app.SendAsync("/chat", user: "alice");
        using HttpResponseMessage failed = await app.SendAsync("/fail", user: "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal((HttpStatusCode)StatusCodes.Status418ImATeapot, failed.StatusCode);
        Assert.Equal("Not a budget problem.", await failed.Content.ReadAsStringAsync());
        Assert.False(failed.Headers.Contains(BudgetHeaderNames.Limit));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;

    private sealed class TeapotHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            httpContext.Response.StatusCode = StatusCodes.Status418ImATeapot;
            await httpContext.Response.WriteAsync(exception.Message, cancellationToken);
            return true;
        }
    }
}
