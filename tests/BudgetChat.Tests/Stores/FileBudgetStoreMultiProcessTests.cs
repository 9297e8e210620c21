namespace BudgetChat.Tests;

/// <summary>Real processes sharing one budget file through <see cref="FileBudgetStore"/>.</summary>
/// <remarks>Each worker (tests/BudgetChat.StoreWorker) reserves 0.05 and settles 0.01 to 0.05, with a plain charge of 0.01 every tenth call.</remarks>
public sealed class FileBudgetStoreMultiProcessTests : IDisposable
{
    private const string Project = "shared";
    private const int Workers = 4;
    private const int CallsPerWorker = 250;
    private const decimal Limit = 3.00m;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task FourProcesses_ChargingOneFile_LoseNoCharge_AndNeverReserveBeyondTheLimit()
    {
        using (var setup = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _temp.Path }))
        {
            await setup.SetBudgetAsync(Project, "global", new BudgetDefinition(Limit));
        }

        StoreWorkers.Totals totals = await StoreWorkers.RunAsync(_temp.Path, Project, Workers, CallsPerWorker, Path.Combine(_temp.Path, "scratch"));

        using var reader = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _temp.Path });
        BudgetState state = (await reader.GetBudgetAsync(Project, "global"))!;

        StoreWorkers.AssertConsistent(totals, state, Workers, CallsPerWorker, Limit);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_temp.Path, Project), "*.tmp"));
    }
}
