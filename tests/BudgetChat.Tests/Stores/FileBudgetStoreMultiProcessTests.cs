namespace BudgetChat.Tests;

/// <summary>Real processes sharing one budget file through <see cref="FileBudgetStore"/>.</summary>
/// <remarks>Each worker (tests/BudgetChat.StoreWorker) reserves 0.05 and settles 0.01 to 0.05, with a plain charge of 0.01 every tenth call.</remarks>
public sealed class FileBudgetStoreMultiProcessTests : IDisposable
{
    private const string Project = "shared";
    private const int Workers = 4;
    private const int CallsPerWorker = 250;
    private const decimal Limit = 3.00m;

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
    public async Task FourProcesses_ChargingOneFile_LoseNoCharge_AndNeverReserveBeyondTheLimit()
    {
        Directory.CreateDirectory(_directory);
        using (var setup = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _directory }))
        {
            await setup.SetBudgetAsync(Project, "global", new BudgetDefinition(Limit));
        }

        StoreWorkers.Totals totals = await StoreWorkers.RunAsync(_directory, Project, Workers, CallsPerWorker, Path.Combine(_directory, "scratch"));

        using var reader = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _directory });
        BudgetState state = (await reader.GetBudgetAsync(Project, "global"))!;

        StoreWorkers.AssertConsistent(totals, state, Workers, CallsPerWorker, Limit);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_directory, Project), "*.tmp"));
    }
}
