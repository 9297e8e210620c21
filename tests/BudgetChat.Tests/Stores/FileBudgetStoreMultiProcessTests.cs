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

        // No charge lost: the file holds exactly what the workers were told they charged.
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
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_directory, Project), "*.tmp"));
    }
}
