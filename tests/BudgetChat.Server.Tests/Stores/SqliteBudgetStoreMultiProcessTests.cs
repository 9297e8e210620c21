using BudgetChat.Tests;

namespace BudgetChat.Server.Tests;

/// <summary>Four real processes sharing one SQLite file through <see cref="SqliteBudgetStore"/>.</summary>
/// <remarks>Each worker (tests/BudgetChat.StoreWorker) reserves 0.05 and settles 0.01 to 0.05, with a plain charge of 0.01 every tenth call.</remarks>
public sealed class SqliteBudgetStoreMultiProcessTests : IDisposable
{
    private const string Project = "shared";
    private const int Workers = 4;
    private const int CallsPerWorker = 150;
    private const decimal Limit = 2.00m;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "budgetchat-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task FourProcesses_ChargingOneDatabase_LoseNoCharge_AndNeverReserveBeyondTheLimit()
    {
        await using (var setup = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = _directory }))
        {
            await setup.SetBudgetAsync(Project, "global", new BudgetDefinition(Limit));
        }

        StoreWorkers.Totals totals = await StoreWorkers.RunAsync("sqlite:" + _directory, Project, Workers, CallsPerWorker, Path.Combine(_directory, "scratch"));

        await using var reader = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = _directory });
        BudgetState state = (await reader.GetBudgetAsync(Project, "global"))!;
        StoreWorkers.AssertConsistent(totals, state, Workers, CallsPerWorker, Limit);
    }
}
