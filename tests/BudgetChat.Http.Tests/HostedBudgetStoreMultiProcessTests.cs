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

        StoreWorkers.AssertConsistent(totals, state, Workers, CallsPerWorker, Limit);
    }
}
