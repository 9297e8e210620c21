using BudgetChat.Tests;
using BudgetChat.Sqlite;
using BudgetChat.Testing;
using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Sqlite.Tests;

/// <summary>
/// The store contract for stores that keep their budgets in a folder: each store gets a fresh temp folder, and every
/// folder a test made is deleted after its stores are disposed.
/// </summary>
public abstract class DirectoryBudgetStoreConformanceTests : BudgetStoreConformanceTests
{
    private readonly ConcurrentBag<TempDirectory> _directories = [];

    /// <summary>Creates an empty store in <paramref name="directory"/> that reads the time from <paramref name="time"/>.</summary>
    protected abstract IBudgetStore CreateStore(string directory, FakeTimeProvider time, BudgetStoreOptions options);

    protected sealed override IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options) => CreateStore(NewDirectory(), time, options);

    /// <summary>Creates an empty temp folder, deleted after the test.</summary>
    protected string NewDirectory()
    {
        var directory = new TempDirectory();
        _directories.Add(directory);
        return directory.Path;
    }

    /// <summary>Asserts that a budget read back from the folder is the one that was written, times' offsets included.</summary>
    protected static void AssertSameBudget(BudgetState expected, BudgetState actual)
    {
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Definition, actual.Definition);
        Assert.Equal(expected.WindowStart, actual.WindowStart);
        Assert.Equal(expected.WindowStart.Offset, actual.WindowStart.Offset);
        Assert.Equal(expected.WindowEnd, actual.WindowEnd);
        Assert.Equal(expected.Spent, actual.Spent);
        Assert.Equal(expected.Reserved, actual.Reserved);
        Assert.Equal(expected.SpendByModel.OrderBy(p => p.Key), actual.SpendByModel.OrderBy(p => p.Key));
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.CreatedAt.Offset, actual.CreatedAt.Offset);
        Assert.Equal(expected.UpdatedAt, actual.UpdatedAt);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (TempDirectory directory in _directories)
        {
            directory.Dispose();
        }
    }
}
