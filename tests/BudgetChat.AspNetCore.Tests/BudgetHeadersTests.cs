using System.Globalization;
using System.Net;

namespace BudgetChat.AspNetCore.Tests;

public sealed class BudgetHeadersTests
{
    [Fact]
    public async Task AddsTheUsersBudgetAfterTheCall_WhenTheEndpointOptsIn()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Hi there", await response.Content.ReadAsStringAsync());
        BudgetState alice = (await app.GetUserBudgetAsync("alice"))!;
        Assert.Equal(TestChatClient.CostOfOneCall, alice.Spent);
        Assert.Equal("1", Header(response, BudgetHeaderNames.Limit));
        Assert.Equal(1m - TestChatClient.CostOfOneCall, decimal.Parse(Header(response, BudgetHeaderNames.Remaining)!, NumberStyles.Number, CultureInfo.InvariantCulture));
        Assert.Equal("2026-03-02T00:00:00Z", Header(response, BudgetHeaderNames.Reset));
        Assert.False(response.Headers.Contains("Retry-After"));

        // One call in 23 hours does not spend a dollar before midnight: no forecast.
        Assert.Null(alice.RunsOutAt);
        Assert.False(response.Headers.Contains(BudgetHeaderNames.RunsOut));
    }

    [Fact]
    public async Task ForecastsWhenTheMainLimitRunsOut_WhenItWillBeforeItsWindowEnds()
    {
        await using TestApp app = await TestApp.StartAsync();
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(1m, BudgetPeriod.Daily));
        await app.Store.ChargeAsync(TestApp.Project, [BudgetKeys.ForUser("alice")], 0.99m, null, "earlier-spend");

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", user: "alice");

        // 99 cents in 23 hours: the last cent goes in about 14 minutes.
        BudgetState alice = (await app.GetUserBudgetAsync("alice"))!;
        Assert.NotNull(alice.RunsOutAt);
        Assert.InRange(alice.RunsOutAt.Value, TestApp.Now.AddMinutes(10), TestApp.Now.AddMinutes(20));
        Assert.Equal(alice.RunsOutAt.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), Header(response, BudgetHeaderNames.RunsOut));
    }

    [Fact]
    public async Task AddsTheHeaders_WhenTheEndpointStreamsItsAnswer()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat/stream", user: "alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Hi there", await response.Content.ReadAsStringAsync());
        Assert.Equal("1", Header(response, BudgetHeaderNames.Limit));

        // The response started while the call was in flight: what it held then was not yet available.
        decimal remaining = decimal.Parse(Header(response, BudgetHeaderNames.Remaining)!, NumberStyles.Number, CultureInfo.InvariantCulture);
        Assert.InRange(remaining, 0m, 1m - TestChatClient.CostOfOneCall);
    }

    [Fact]
    public async Task AddsNoHeaders_WhenTheEndpointDoesNotOptIn()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await app.GetUserBudgetAsync("alice"));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Limit));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Remaining));
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Reset));
    }

    [Fact]
    public async Task AddsNoHeaders_WhenTheRequestHasNoUser()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat/headers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.Store.GetBudgetAsync(TestApp.Project, BudgetKeys.Global))?.Spent);
        Assert.False(response.Headers.Contains(BudgetHeaderNames.Limit));
    }

    [Fact]
    public async Task DescribesTheSignedInUsersBudget_InTheInvariantCulture_WhateverTheRequestsCulture()
    {
        await using TestApp app = await TestApp.StartAsync(requestCulture: "de-DE");
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(2.5m, BudgetPeriod.Weekly));

        using HttpResponseMessage response = await app.SendAsync("/chat/headers", claims: TestAuthenticationHandler.Claims(("sub", "alice")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2.5", Header(response, BudgetHeaderNames.Limit));
        Assert.Equal((2.5m - TestChatClient.CostOfOneCall).ToString("0.############################", CultureInfo.InvariantCulture), Header(response, BudgetHeaderNames.Remaining));
        Assert.Equal("2026-03-02T00:00:00Z", Header(response, BudgetHeaderNames.Reset));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;
}
