using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.AspNetCore.Tests;

public sealed class UserResolutionTests
{
    [Theory]
    [InlineData("sub")]
    [InlineData(ClaimTypes.NameIdentifier)]
    public async Task ChargesTheSignedInUser_FromTheDefaultClaimTypes(string claimType)
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat", claims: TestAuthenticationHandler.Claims((claimType, "alice")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        BudgetState? alice = await app.GetUserBudgetAsync("alice");
        Assert.NotNull(alice);
        Assert.Equal(TestChatClient.CostOfOneCall, alice.Spent);
    }

    [Fact]
    public async Task ChargesTheUserOfTheHeader_WhenTheRequestIsNotSignedIn()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "bob");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.GetUserBudgetAsync("bob"))?.Spent);
    }

    [Fact]
    public async Task ReadsTheConfiguredClaimType_InsteadOfTheDefaults()
    {
        await using TestApp app = await TestApp.StartAsync(web: o =>
        {
            o.UserClaimTypes.Clear();
            o.UserClaimTypes.Add("oid");
        });

        using HttpResponseMessage response = await app.SendAsync("/chat", claims: TestAuthenticationHandler.Claims(("sub", "alice"), ("oid", "carol")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.GetUserBudgetAsync("carol"))?.Spent);
        Assert.Null(await app.GetUserBudgetAsync("alice"));
    }

    [Fact]
    public async Task ChargesTheSignedInUser_NotTheUserTheHeaderNames()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "mallory", claims: TestAuthenticationHandler.Claims(("sub", "alice")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.GetUserBudgetAsync("alice"))?.Spent);
        Assert.Null(await app.GetUserBudgetAsync("mallory"));
    }

    [Fact]
    public async Task ChargesTheUserSetOnChatOptions_OverTheRequestsUser()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat/as/dave", user: "bob", claims: TestAuthenticationHandler.Claims(("sub", "alice")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.GetUserBudgetAsync("dave"))?.Spent);
        Assert.Null(await app.GetUserBudgetAsync("alice"));
        Assert.Null(await app.GetUserBudgetAsync("bob"));
    }

    [Fact]
    public async Task AsksTheAppsOwnResolverFirst_AndFallsBackToTheRequestsUser()
    {
        await using TestApp app = await TestApp.StartAsync(budget: o =>
            o.UserIdResolver = call => call.Messages.Any(m => m.Text.Contains("support", StringComparison.Ordinal)) ? "support-desk" : null);

        using HttpResponseMessage support = await app.SendAsync("/chat?text=support%20question", user: "bob");
        using HttpResponseMessage plain = await app.SendAsync("/chat?text=hello", user: "bob");

        Assert.Equal(HttpStatusCode.OK, support.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.GetUserBudgetAsync("support-desk"))?.Spent);
        Assert.Equal(TestChatClient.CostOfOneCall, (await app.GetUserBudgetAsync("bob"))?.Spent);
    }

    [Fact]
    public async Task ChargesTheGlobalBudgetOnly_WhenTheRequestHasNoUser()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendAsync("/chat");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        IReadOnlyList<BudgetState> budgets = await app.Store.ListBudgetsAsync(TestApp.Project);
        BudgetState global = Assert.Single(budgets);
        Assert.Equal(BudgetKeys.Global, global.Key);
        Assert.Equal(TestChatClient.CostOfOneCall, global.Spent);
    }

    [Fact]
    public async Task Refuses401_WhenAUserIsRequiredAndTheRequestIsAnonymous()
    {
        await using TestApp app = await TestApp.StartAsync(web: o => o.RequireUser = true);

        using HttpResponseMessage response = await app.SendAsync("/chat");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(401, body.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(TestApp.UserHeader, body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, app.Model.Calls);
        Assert.Equal(0m, (await app.Store.GetBudgetAsync(TestApp.Project, BudgetKeys.Global))?.Spent ?? 0m);
    }

    [Fact]
    public async Task Refuses403_WhenAUserIsRequiredAndTheSignedInUserHasNoUserClaim()
    {
        await using TestApp app = await TestApp.StartAsync(web: o => o.RequireUser = true);

        using HttpResponseMessage response = await app.SendAsync("/chat", claims: TestAuthenticationHandler.Claims((ClaimTypes.Name, "Service Account")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("sub", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, app.Model.Calls);
    }

    [Fact]
    public async Task Refuses400NamingTheHeader_WhenTheUserHeaderIsTooLong()
    {
        await using TestApp app = await TestApp.StartAsync(web: o => o.MaxUserIdLength = 16);

        using HttpResponseMessage response = await app.SendAsync("/chat", user: new string('x', 17));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(TestApp.UserHeader, body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, app.Model.Calls);
        Assert.Empty(await app.Store.ListBudgetsAsync(TestApp.Project));
    }

    [Fact]
    public async Task LeavesCallsOutsideARequestWithoutAUser_EvenWhenAUserIsRequired()
    {
        await using TestApp app = await TestApp.StartAsync(web: o => o.RequireUser = true);
        IChatClient chat = app.Services.GetRequiredService<IChatClient>();

        ChatResponse response = await chat.GetResponseAsync("Hello from a background job");

        Assert.Equal("Hi there", response.Text);
        BudgetState global = Assert.Single(await app.Store.ListBudgetsAsync(TestApp.Project));
        Assert.Equal(BudgetKeys.Global, global.Key);
        Assert.Equal(TestChatClient.CostOfOneCall, global.Spent);
    }
}
