using BudgetChat.Http;
using BudgetChat.Sqlite;

namespace BudgetChat.Cli;

/// <summary>
/// The store a command works on, opened from the global options: a budget service (<c>--url</c>, a
/// <see cref="HostedBudgetStore"/>) or a SQLite file (<c>--db</c>, a <see cref="SqliteBudgetStore"/>).
/// </summary>
/// <remarks>Disposing closes what was opened. Not thread-safe: one command uses it.</remarks>
internal sealed class StoreConnection : IAsyncDisposable
{
    private readonly object? _owned;

    private StoreConnection(IBudgetStore store, string description, bool isService, object? owned)
    {
        Store = store;
        Description = description;
        IsService = isService;
        _owned = owned;
    }

    /// <summary>Gets the store.</summary>
    public IBudgetStore Store { get; }

    /// <summary>Gets what the store is, for messages: <c>the budget service at http://…</c>, <c>the SQLite file /…</c>.</summary>
    public string Description { get; }

    /// <summary>Gets a value indicating whether the store is a budget service (whose refusals of the key are exit code 3).</summary>
    public bool IsService { get; }

    /// <summary>Gets the store's spend ledger.</summary>
    /// <exception cref="CliException">The store keeps none (<see cref="ExitCodes.NoSpendLedger"/>).</exception>
    public IBudgetSpendLog SpendLog => Store as IBudgetSpendLog ?? throw new CliException(
        ExitCodes.NoSpendLedger,
        $"{char.ToUpperInvariant(Description[0])}{Description[1..]} keeps no spend ledger ({Store.GetType().Name} does not implement IBudgetSpendLog); this command reads one. Upgrade the store, or the budget service.");

    /// <summary>Opens the store the options name.</summary>
    /// <param name="context">The command's context.</param>
    /// <param name="mayCreate">Whether a SQLite file that does not exist may be created (commands that write budgets); otherwise it is an error.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="CliException">The options name no store, two, or an invalid one.</exception>
    public static StoreConnection Open(CliContext context, bool mayCreate)
    {
        if (context.Environment.Store is { } given)
        {
            return new StoreConnection(given, "the store", isService: false, owned: null);
        }

        Uri? url = context.Url;
        string? database = context.Database;
        if (url is not null && database is not null)
        {
            throw CliException.Usage("--url and --db name two stores; give one of them.");
        }

        if (url is null && database is null)
        {
            throw CliException.Usage("Name the budgets to use: --url <address> of a budget service, or --db <file> of a SQLite database.");
        }

        return url is not null ? OpenService(context, url) : OpenDatabase(context, database!, mayCreate);
    }

    public async ValueTask DisposeAsync()
    {
        switch (_owned)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    private static StoreConnection OpenService(CliContext context, Uri url)
    {
        if (context.TimeZone is not null)
        {
            throw CliException.Usage("--time-zone goes with --db; a budget service has its own (BudgetServer:TimeZone).");
        }

        string? key = context.ApiKey ?? context.Environment.GetVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable);
        var options = new HostedBudgetStoreOptions { BaseAddress = url, ApiKey = string.IsNullOrWhiteSpace(key) ? null : key };
        IBudgetStore store;
        try
        {
            store = HostedBudgetStore.Create(options);
        }
        catch (ArgumentException ex)
        {
            string option = ex.ParamName == nameof(HostedBudgetStoreOptions.ApiKey)
                ? $"--api-key (or {HostedBudgetStoreOptions.ApiKeyEnvironmentVariable})"
                : "--url";
            throw CliException.Usage($"{option}: {Failures.WithoutParameter(ex)}");
        }

        return new StoreConnection(store, $"the budget service at {url}", isService: true, store);
    }

    private static StoreConnection OpenDatabase(CliContext context, string database, bool mayCreate)
    {
        if (context.ApiKey is not null)
        {
            throw CliException.Usage("--api-key goes with --url; a SQLite file has no key.");
        }

        string path = Path.GetFullPath(database);
        if (Directory.Exists(path))
        {
            throw new CliException(ExitCodes.FileError, $"--db: '{path}' is a folder; give the database file, for example {Path.Combine(database, SqliteBudgetStoreOptions.DefaultFileName)}.");
        }

        if (!mayCreate && !File.Exists(path))
        {
            throw new CliException(ExitCodes.FileError, $"--db: there is no database file '{path}'. Check the path; 'budgets set' and 'import-litellm' create one.");
        }

        var ledger = new BudgetStoreOptions();
        if (context.TimeZone is { } id)
        {
            try
            {
                ledger.TimeZone = TimeZoneInfo.FindSystemTimeZoneById(id);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw CliException.Usage($"--time-zone: '{id}' is not a time zone id known to this system (for example UTC or Europe/Berlin).");
            }
        }

        var store = new SqliteBudgetStore(new SqliteBudgetStoreOptions
        {
            DataDirectory = Path.GetDirectoryName(path)!,
            DatabasePath = path,
            Ledger = ledger,
        });
        return new StoreConnection(store, $"the SQLite file {path}", isService: false, store);
    }
}
