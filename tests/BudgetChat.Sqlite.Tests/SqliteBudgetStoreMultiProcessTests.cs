using System.Globalization;
using BudgetChat.Tests;
using BudgetChat.Sqlite;


namespace BudgetChat.Sqlite.Tests;

/// <summary>Four real processes sharing one SQLite file through <see cref="SqliteBudgetStore"/>.</summary>
/// <remarks>Each worker (tests/BudgetChat.StoreWorker) reserves 0.05 and settles 0.01 to 0.05, with a plain charge of 0.01 every tenth call.</remarks>
public sealed class SqliteBudgetStoreMultiProcessTests : IDisposable
{
    private const string Project = "shared";
    private const int Workers = 4;
    private const int CallsPerWorker = 150;
    private const decimal Limit = 2.00m;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task FourProcesses_ChargingOneDatabase_LoseNoCharge_AndNeverReserveBeyondTheLimit()
    {
        await using (var setup = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = _temp.Path }))
        {
            await setup.SetBudgetAsync(Project, "global", new BudgetDefinition(Limit));
        }

        StoreWorkers.Totals totals = await StoreWorkers.RunAsync("sqlite:" + _temp.Path, Project, Workers, CallsPerWorker, Path.Combine(_temp.Path, "scratch"));

        await using var reader = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = _temp.Path });
        BudgetState state = (await reader.GetBudgetAsync(Project, "global"))!;
        StoreWorkers.AssertConsistent(totals, state, Workers, CallsPerWorker, Limit);

        // Every settle and charge of every process left its record, written with it: they add up to the spend.
        BudgetSpendCheck check = (await BudgetSpendVerifier.VerifyAsync(reader, reader, Project, "global"))!;
        Assert.True(check.IsBalanced, $"Spent {check.Spent}, records add up to {check.Recorded}.");
        Assert.Equal(totals.Admitted + (Workers * (CallsPerWorker / 10)), check.Records);
        IReadOnlyList<BudgetSpendGroup> byModel = await reader.GroupSpendAsync(Project, new BudgetSpendQuery(), BudgetSpendGrouping.Model);
        Assert.Equal([("reserved", totals.Settled, (long)totals.Admitted), ("plain", totals.Charged, Workers * (CallsPerWorker / 10L))], byModel.Select(g => (g.Value!, g.Cost, g.Calls)));
        BudgetSpendPage ids = await reader.QuerySpendAsync(Project, new BudgetSpendQuery { Limit = BudgetSpendQuery.MaxLimit });
        Assert.Equal(Enumerable.Range(0, Workers), ids.Records.Select(r => int.Parse(r.Id!.Split('-')[0][1..], CultureInfo.InvariantCulture)).Distinct().Order());
    }
}
