using System.Collections.Concurrent;
using BudgetChat.Tests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Server.Tests;

public sealed class SqliteBudgetStoreTests : BudgetStoreConformanceTests
{
    private readonly ConcurrentDictionary<IBudgetStore, string> _storeDirectories = new();
    private readonly ConcurrentBag<string> _directories = [];

    protected override IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options)
    {
        string directory = NewDirectory();
        var store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = directory, Ledger = options }, time);
        _storeDirectories[store] = directory;
        return store;
    }

    protected override async ValueTask DisposeStoreAsync(IBudgetStore store)
    {
        await base.DisposeStoreAsync(store);
        if (_storeDirectories.TryRemove(store, out string? directory))
        {
            DeleteDirectory(directory);
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (string directory in _directories)
        {
            DeleteDirectory(directory);
        }
    }

    // ---------------------------------------------------------------- helpers

    private string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "budgetchat-sqlite-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        _directories.Add(directory);
        return directory;
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static SqliteBudgetStore Open(string directory, TimeProvider time, Action<SqliteBudgetStoreOptions>? configure = null)
    {
        var options = new SqliteBudgetStoreOptions { DataDirectory = directory };
        configure?.Invoke(options);
        return new SqliteBudgetStore(options, time);
    }
}
