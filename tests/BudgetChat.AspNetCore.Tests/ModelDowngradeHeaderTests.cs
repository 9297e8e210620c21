using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>
/// The downgrade header, written from <see cref="BudgetingChatClientOptions.OnModelDowngraded"/> as the budgeted client calls
/// it inside a request (here an endpoint calls it, as the client's cheaper-model ladder does).
/// </summary>
public sealed class ModelDowngradeHeaderTests
{
    private static readonly BudgetModelDowngrade Refused = new(TestApp.Project, "gpt-4o", "gpt-4o-mini", "refused", "user:alice", "daily");
    private static readonly BudgetModelDowngrade LowBudget = new(TestApp.Project, "o3", "o4-mini", "low_budget", "global", "monthly");

    [Fact]
    public async Task NamesTheDowngradeOfACallOfTheRequest()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendDowngradesAsync(Refused);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"gpt-4o\";to=\"gpt-4o-mini\";reason=refused;budget=\"user:alice\";window=\"daily\"", Header(response, BudgetHeaderNames.ModelDowngrade));
    }

    [Fact]
    public async Task ListsEachDistinctDowngradeOnce_InTheOrderTheyHappened()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendDowngradesAsync(Refused, LowBudget, Refused);

        Assert.Equal(
            "\"gpt-4o\";to=\"gpt-4o-mini\";reason=refused;budget=\"user:alice\";window=\"daily\", \"o3\";to=\"o4-mini\";reason=low_budget;budget=\"global\";window=\"monthly\"",
            Header(response, BudgetHeaderNames.ModelDowngrade));
    }

    [Fact]
    public async Task NamesAtMostSixteenDowngrades()
    {
        await using TestApp app = await TestApp.StartAsync();
        BudgetModelDowngrade[] downgrades = [.. Enumerable.Range(0, 20).Select(i => Refused with { ToModel = $"model-{i}" })];

        using HttpResponseMessage response = await app.SendDowngradesAsync(downgrades);

        string header = Header(response, BudgetHeaderNames.ModelDowngrade)!;
        Assert.Equal(16, header.Split(", ").Length);
        Assert.EndsWith("to=\"model-15\";reason=refused;budget=\"user:alice\";window=\"daily\"", header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WritesModelIdsAsStrings_EscapingQuotesAndReplacingWhatAStringCannotCarry()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.SendDowngradesAsync(new BudgetModelDowngrade(TestApp.Project, "my \"big\" model", "modèle", "over budget", null, null));

        Assert.Equal("\"my \\\"big\\\" model\";to=\"mod?le\";reason=\"over budget\"", Header(response, BudgetHeaderNames.ModelDowngrade));
    }

    [Fact]
    public async Task TheBudgetedClientsLadder_WritesTheHeader_WhenItStepsDown()
    {
        var prices = ModelPriceCatalog.CreateDefault();
        prices.SetPrice("local-model", new ModelPrice(0m, 0m));
        await using TestApp app = await TestApp.StartAsync(
            budget: o => o.CheaperModels[TestChatClient.ModelId] = ["local-model"],
            services: s => s.AddSingleton(prices));
        await app.Store.SetBudgetAsync(TestApp.Project, BudgetKeys.ForUser("alice"), new BudgetDefinition(0m));
        string? asked = null;
        app.Model.GetResponseAsyncCallback = (_, options, _) =>
        {
            asked = options?.ModelId;
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hi")) { ModelId = options?.ModelId, Usage = TestChatClient.Usage });
        };

        using HttpResponseMessage response = await app.SendAsync("/chat", user: "alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("local-model", asked);
        Assert.Equal("\"gpt-4o-mini\";to=\"local-model\";reason=refused;budget=\"user:alice\";window=\"total\"", Header(response, BudgetHeaderNames.ModelDowngrade));
    }

    [Fact]
    public async Task CallsTheAppsOwnCallbackToo()
    {
        var seen = new List<BudgetModelDowngrade>();
        await using TestApp app = await TestApp.StartAsync(budget: o => o.OnModelDowngraded = d => { lock (seen) { seen.Add(d); } });

        using HttpResponseMessage response = await app.SendDowngradesAsync(Refused);

        Assert.True(response.Headers.Contains(BudgetHeaderNames.ModelDowngrade));
        Assert.Equal([Refused], seen);
    }

    [Fact]
    public async Task UsesTheConfiguredHeaderName()
    {
        await using TestApp app = await TestApp.StartAsync(web: o => o.ModelDowngradeHeaderName = "X-Acme-Model-Fallback");

        using HttpResponseMessage response = await app.SendDowngradesAsync(Refused);

        Assert.StartsWith("\"gpt-4o\";to=\"gpt-4o-mini\"", Header(response, "X-Acme-Model-Fallback"), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains(BudgetHeaderNames.ModelDowngrade));
    }

    [Fact]
    public async Task WritesNoHeader_WhenTurnedOff_ButStillCallsTheAppsCallback()
    {
        var seen = new List<BudgetModelDowngrade>();
        await using TestApp app = await TestApp.StartAsync(
            budget: o => o.OnModelDowngraded = d => { lock (seen) { seen.Add(d); } },
            web: o => o.ModelDowngradeHeaderName = null);

        using HttpResponseMessage response = await app.SendDowngradesAsync(Refused);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains(BudgetHeaderNames.ModelDowngrade));
        Assert.Equal([Refused], seen);
    }

    [Fact]
    public async Task WritesNoHeader_WhenTheResponseHadStartedAlready()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.Client.PostAsJsonAsync("/downgrade?afterStart=true", new[] { Refused });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains(BudgetHeaderNames.ModelDowngrade));
    }

    [Fact]
    public async Task OnlyCallsTheAppsCallback_ForADowngradeOutsideARequest()
    {
        var seen = new List<BudgetModelDowngrade>();
        await using TestApp app = await TestApp.StartAsync(budget: o => o.OnModelDowngraded = seen.Add);
        Action<BudgetModelDowngrade> callback = app.Services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value.OnModelDowngraded!;

        callback(Refused);

        Assert.Equal([Refused], seen);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;
}
