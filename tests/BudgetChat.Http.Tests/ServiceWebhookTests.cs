using System.Text.Json;
using BudgetChat.Server.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Http.Tests;

/// <summary>The service's own alert webhooks (<c>BudgetServer:Webhooks:{project}</c>): charges through the service alert there.</summary>
public sealed class ServiceWebhookTests
{
    [Fact]
    public async Task ASettleThatCrossesAThreshold_IsPostedToItsProjectsWebhook_Signed_AndNotToAnotherProjects()
    {
        await using WebhookReceiver acme = await WebhookReceiver.StartAsync();
        await using WebhookReceiver other = await WebhookReceiver.StartAsync();
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions
        {
            Configuration =
            {
                ["BudgetServer:Webhooks:acme:Url"] = acme.Url.ToString(),
                ["BudgetServer:Webhooks:acme:Secret"] = "acme-secret",
                ["BudgetServer:Webhooks:other:Url"] = other.Url.ToString(),
            },
        });
        HostedBudgetStore store = CreateStore(host, out ServiceProvider provider);
        using (provider)
        {
            await store.SetBudgetAsync("acme", "user:alice", new BudgetDefinition(10m, BudgetPeriod.Daily, alertThresholds: [0.5m]));
            await store.ReserveAsync("acme", ["user:alice"], 2m, "r1", DateTimeOffset.UtcNow.AddMinutes(5));
            BudgetCompletion settled = await store.SettleAsync("acme", "r1", 6m);

            Assert.Single(settled.Alerts);
            ReceivedWebhook request = await acme.NextAsync();
            using JsonDocument json = JsonDocument.Parse(request.Body);
            Assert.Equal("acme", json.RootElement.GetProperty("project").GetString());
            Assert.Equal("user:alice", json.RootElement.GetProperty("key").GetString());
            Assert.Equal(0.5m, json.RootElement.GetProperty("threshold").GetDecimal());
            string timestamp = request.Headers[WebhookBudgetAlertSink.TimestampHeader];
            Assert.Equal(WebhookBudgetAlertSinkTests.Signature("acme-secret", timestamp, request.Body), request.Headers[WebhookBudgetAlertSink.SignatureHeader]);
            Assert.Empty(other.All);
        }
    }

    [Fact]
    public async Task TheAllProjectsWebhook_GetsTheAlertsOfEveryProject_FromCharges()
    {
        await using WebhookReceiver all = await WebhookReceiver.StartAsync();
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions
        {
            Configuration = { ["BudgetServer:Webhooks:*:Url"] = all.Url.ToString(), ["BudgetServer:Webhooks:*:Format"] = "Slack" },
        });
        HostedBudgetStore store = CreateStore(host, out ServiceProvider provider);
        using (provider)
        {
            foreach (string project in new[] { "p1", "p2" })
            {
                await store.SetBudgetAsync(project, "global", new BudgetDefinition(1m, BudgetPeriod.Monthly, alertThresholds: [0.8m]));
                await store.ChargeAsync(project, ["global"], 0.9m, $"c-{project}");
            }

            string[] texts = [.. (await Task.WhenAll(all.NextAsync(), all.NextAsync())).Select(Text).Order()];
            Assert.Contains("'p1'", texts[0], StringComparison.Ordinal);
            Assert.Contains("'p2'", texts[1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AWebhookWithoutUrl_StopsTheServiceFromStarting_NamingTheSetting()
    {
        Exception ex = await Assert.ThrowsAnyAsync<Exception>(() => BudgetServerHost.StartAsync(new BudgetServerHostOptions
        {
            Configuration = { ["BudgetServer:Webhooks:acme:Secret"] = "s" },
        }));

        Assert.Contains("BudgetServer:Webhooks:acme:Url", ex.ToString(), StringComparison.Ordinal);
    }

    private static string Text(ReceivedWebhook request)
    {
        using JsonDocument json = JsonDocument.Parse(request.Body);
        return json.RootElement.GetProperty("text").GetString()!;
    }

    private static HostedBudgetStore CreateStore(BudgetServerHost host, out ServiceProvider provider)
    {
        provider = new ServiceCollection().AddHostedBudgetStore(o => o.BaseAddress = host.BaseAddress).BuildServiceProvider();
        return (HostedBudgetStore)provider.GetRequiredService<IBudgetStore>();
    }
}
