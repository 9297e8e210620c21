using BudgetChat.Tests;

namespace BudgetChat.Http.Tests;

/// <summary>Four real processes charging one budget on the budget service through <see cref="HostedBudgetStore"/>.</summary>
/// <remarks>Each worker (tests/BudgetChat.StoreWorker) reserves 0.05 and settles 0.01 to 0.05, with a plain charge of 0.01 every tenth call.</remarks>
public sealed class HostedBudgetStoreMultiProcessTests
{
    private const string Project = "shared";
    private const string ApiKey = "shared-key-0123456789abcdef";
    private const int Workers = 4;
    private const int CallsPerWorker = 150;
    private const decimal Limit = 2.00m;

    [Fact]
    public async Task FourProcesses_ChargingOneBudget_LoseNoCharge_AndNeverReserveBeyondTheLimit()
    {
        await using BudgetService service = await BudgetService.StartAsync(apiKeys: [(Project, ApiKey)]);
        HostedBudgetStore store = service.CreateStore(apiKey: ApiKey);
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition(Limit));

        StoreWorkers.Totals totals = await StoreWorkers.RunAsync(
            service.BaseAddress.AbsoluteUri,
            Project,
            Workers,
            CallsPerWorker,
            Path.Combine(service.DataDirectory, "scratch"),
            new Dictionary<string, string> { [HostedBudgetStoreOptions.ApiKeyEnvironmentVariable] = ApiKey });

        BudgetState state = (await store.GetBudgetAsync(Project, "global"))!;

        // No charge lost: the service holds exactly what the workers were told they charged.
        Assert.Equal(totals.Settled + totals.Charged, state.Spent);
        Assert.Equal(totals.Settled, state.SpendByModel["reserved"]);
        Assert.Equal(totals.Charged, state.SpendByModel["plain"]);
        Assert.Equal(Workers * (CallsPerWorker / 10) * 0.01m, totals.Charged);

        // Reservations admitted past the limit would show as settled spend above it; some were refused.
        Assert.True(totals.Settled <= Limit, $"Reservations settled {totals.Settled}, more than the limit {Limit}.");
        Assert.True(totals.Refused > 0, "The limit was never reached, so the test proves nothing about it.");
        Assert.True(totals.Admitted > 0);
        Assert.Equal(Workers * (CallsPerWorker - (CallsPerWorker / 10)), totals.Admitted + totals.Refused);
        Assert.Equal(0m, state.Reserved);
    }
}
