using BudgetChat.Sqlite;
using BudgetChat.Tests;

namespace BudgetChat.Cli.Tests;

/// <summary>A SQLite budget database in a temp folder: the tool runs on it with <c>--db</c>, and the test reads and charges it in process.</summary>
internal sealed class SqliteFile : IAsyncDisposable
{
    private readonly TempDirectory _folder = new();
    private SqliteBudgetStore? _store;

    public string Folder => _folder.Path;

    public string Path => System.IO.Path.Combine(_folder.Path, "budgets.db");

    /// <summary>Gets the store on the file in this process (opened on first use, creating the file).</summary>
    public SqliteBudgetStore Store => _store ??= new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = Folder, DatabasePath = Path });

    /// <summary>Runs the tool with <c>--db</c> this file.</summary>
    public Task<CliResult> RunAsync(params string[] arguments) => CliProcess.RunAsync(["--db", Path, .. arguments]);

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _folder.Dispose();
    }
}
