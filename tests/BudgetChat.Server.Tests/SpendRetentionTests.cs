using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>The service's reset service deletes spend records older than <c>BudgetServer:ResetService:SpendRetention</c>.</summary>
public sealed class SpendRetentionTests
{
    [Fact]
    public async Task ASweep_DeletesRecordsOlderThanTheRetention_AndKeepsTheOthers()
    {
        var time = new FakeTimeProvider(Api.Epoch);
        var options = new BudgetServerHostOptions { TimeProvider = time, Store = new InMemoryBudgetStore(timeProvider: time) };
        options.Configuration["BudgetServer:ResetService:Interval"] = "00:01:00";
        options.Configuration["BudgetServer:ResetService:SpendRetention"] = "1.00:00:00";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        HttpClient client = host.CreateClient();
        await AppendAsync(client, "old");
        time.Advance(TimeSpan.FromHours(20));
        await AppendAsync(client, "recent");
        time.Advance(TimeSpan.FromHours(5));

        // The sweeps run on the fake clock, every minute of it, in the background: move it on a minute at a time until
        // one has run. "recent" stays until the clock passes 44 hours from the start.
        string[] ids = await IdsAsync(client);
        for (int minute = 0; minute < 18 * 60 && ids.Length == 2; minute++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
            ids = await IdsAsync(client);
        }

        Assert.Equal(["recent"], ids);
    }

    [Fact]
    public async Task TheRetention_IsNinetyDaysByDefault_BoundFromTheResetServiceSection_AndEmptyKeepsAll()
    {
        var configured = new BudgetServerHostOptions { Store = new InMemoryBudgetStore() };
        configured.Configuration["BudgetServer:ResetService:SpendRetention"] = "7.00:00:00";
        var forever = new BudgetServerHostOptions { Store = new InMemoryBudgetStore() };
        forever.Configuration["BudgetServer:ResetService:SpendRetention"] = string.Empty; // "SpendRetention": null in appsettings.json
        await using BudgetServerHost byDefault = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = new InMemoryBudgetStore() });
        await using BudgetServerHost seven = await BudgetServerHost.StartAsync(configured);
        await using BudgetServerHost keepAll = await BudgetServerHost.StartAsync(forever);

        Assert.Equal(TimeSpan.FromDays(90), Retention(byDefault));
        Assert.Equal(TimeSpan.FromDays(7), Retention(seven));
        Assert.Null(Retention(keepAll));
    }

    private static TimeSpan? Retention(BudgetServerHost host) =>
        host.Services.GetRequiredService<IOptions<BudgetResetServiceOptions>>().Value.SpendRetention;

    private static async Task AppendAsync(HttpClient client, string id)
    {
        var (status, _, _) = await client.PostJsonAsync("v1/projects/acme/spend", $$"""{ "keys": ["global"], "outcome": "refused", "id": "{{id}}" }""");
        Assert.Equal(HttpStatusCode.NoContent, status);
    }

    private static async Task<string[]> IdsAsync(HttpClient client)
    {
        var (_, body, _) = await client.GetJsonAsync("v1/projects/acme/spend");
        return [.. body.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString() ?? string.Empty)];
    }
}
