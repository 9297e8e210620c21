using System.Collections.Concurrent;

namespace BudgetChat;

/// <summary>
/// An <see cref="IBudgetStore"/> that keeps each project's budgets in a <c>user_cost.json</c> file in the shape LiteLLM's
/// BudgetManager reads and writes, shared safely by several processes.
/// </summary>
/// <remarks>
/// <para>
/// Each project has three files side by side: <c>user_cost.json</c> (LiteLLM's fields per user, plus a
/// <c>"budgetchat"</c> object per entry with what LiteLLM has no field for, and a top-level <c>"budgetchat"</c> entry
/// holding reservations and remembered ids), <c>user_cost.json.journal</c> (one JSON line per operation since the
/// file was last written) and <c>user_cost.json.lock</c>. Every call takes the lock file, replays what other processes
/// appended to the journal, applies itself, and appends one line; a charge made in one process is therefore seen by
/// the next call in any other. Once the journal has grown (see <see cref="FileBudgetStoreOptions.CompactAfterOperations"/>),
/// on <see cref="SaveAsync"/> and on <see cref="Dispose"/>, the whole state is written to a temporary file, flushed
/// to the disk and renamed over <c>user_cost.json</c>, so a reader never sees a half-written file.
/// </para>
/// <para>
/// A file LiteLLM wrote is read as it is: a user with only <c>total_budget</c> has a budget without period, and
/// <c>duration</c> 1, 7, 28 to 31 and 365 days are daily, weekly, monthly and yearly windows counted from
/// <c>last_updated_at</c>. A corrupted file or journal line is reported with an exception naming the file and is never
/// modified. The entry names <c>budgetchat</c> and <c>budgetchat:*</c> are reserved for this store. Moving between
/// LiteLLM and this store is safe (dispose or save the store first); running LiteLLM's BudgetManager on the same file
/// at the same time is not, as it takes no lock and rewrites the whole file.
/// </para>
/// <para>This type is thread-safe, and several instances and processes may share the same files.</para>
/// </remarks>
public sealed partial class FileBudgetStore : IBudgetStore, IDisposable
{
    private const string FileName = "user_cost.json";

    private readonly ConcurrentDictionary<string, ProjectState> _projects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _projectsByPath = new(StringComparer.Ordinal);
    private readonly string _directory;
    private readonly Func<string, string>? _pathForProject;
    private readonly BudgetStoreOptions _ledgerOptions;
    private readonly int _compactAfterOperations;
    private readonly TimeSpan _lockTimeout;
    private readonly bool _flushToDisk;
    private readonly TimeProvider _timeProvider;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="FileBudgetStore"/> class.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (files under the working directory).</param>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="NotSupportedException">File locking is disabled in this process (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>).</exception>
    public FileBudgetStore(FileBudgetStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        options ??= new FileBudgetStoreOptions();
        options.Validate();
        if (!OperatingSystem.IsWindows() && IsFileLockingDisabled())
        {
            throw new NotSupportedException(
                "FileBudgetStore needs file locks to share its files between processes, and file locking is disabled in this process " +
                "(DOTNET_SYSTEM_IO_DISABLEFILELOCKING or System.IO.DisableFileLocking). Enable it, or use another store.");
        }

        _directory = Path.GetFullPath(options.Directory);
        _pathForProject = options.PathForProject;
        _ledgerOptions = new BudgetStoreOptions { TimeZone = options.Ledger.TimeZone, CompletedIdRetention = options.Ledger.CompletedIdRetention };
        _compactAfterOperations = options.CompactAfterOperations;
        _lockTimeout = options.LockTimeout;
        _flushToDisk = options.FlushToDiskOnEveryWrite;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the full path of a project's budget file (<c>user_cost.json</c>); its journal and lock file sit next to it.</summary>
    /// <param name="project">The project.</param>
    /// <returns>The path.</returns>
    /// <exception cref="ArgumentException"><paramref name="project"/> is not a single, safe file-name segment.</exception>
    public string GetFilePath(string project)
    {
        ValidateProject(project);
        return SnapshotPathFor(project);
    }

    /// <summary>
    /// Writes the project's whole state to its <c>user_cost.json</c> now, folding the journal in, so that LiteLLM or a
    /// copy of the file sees every operation made so far.
    /// </summary>
    /// <param name="project">The project.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the file has been written and flushed to the disk.</returns>
    /// <exception cref="ArgumentException"><paramref name="project"/> is not a single, safe file-name segment.</exception>
    /// <exception cref="InvalidDataException">The project's file or journal is corrupted; it was left as it is.</exception>
    /// <exception cref="TimeoutException">Another process held the lock longer than <see cref="FileBudgetStoreOptions.LockTimeout"/>.</exception>
    public ValueTask SaveAsync(string project, CancellationToken cancellationToken = default)
    {
        ValidateProject(project);
        cancellationToken.ThrowIfCancellationRequested();
        return SaveCoreAsync(project, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        StoreArguments.Key(project, key);
        return RunAsync<BudgetState?>(project, new Operation { Kind = OperationKind.Get, Key = key }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        StoreArguments.Budget(project, key, definition);
        return RunAsync<BudgetState>(project, new Operation { Kind = OperationKind.Set, Key = key, Definition = definition, CreatedAt = createdAt }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default)
    {
        StoreArguments.Budget(project, key, definition);
        return RunAsync<BudgetState>(project, new Operation { Kind = OperationKind.GetOrCreate, Key = key, Definition = definition }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        StoreArguments.Key(project, key);
        return RunAsync<bool>(project, new Operation { Kind = OperationKind.Delete, Key = key }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default)
    {
        StoreArguments.Project(project);
        return RunAsync<IReadOnlyList<BudgetState>>(project, new Operation { Kind = OperationKind.List }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, decimal amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        StoreArguments.Reserve(project, keys, amount, reservationId);
        var operation = new Operation
        {
            Kind = OperationKind.Reserve,
            Keys = [.. keys],
            Amount = amount,
            Id = reservationId,
            ExpiresAt = expiresAt.ToUniversalTime(),
        };
        return RunAsync<BudgetReservationResult>(project, operation, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, decimal actualCost, string? model, CancellationToken cancellationToken = default)
    {
        StoreArguments.Settle(project, reservationId, actualCost);
        return RunAsync<BudgetCompletion>(project, new Operation { Kind = OperationKind.Settle, Id = reservationId, Amount = actualCost, Model = model }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default)
    {
        StoreArguments.Release(project, reservationId);
        return RunAsync<BudgetCompletion>(project, new Operation { Kind = OperationKind.Release, Id = reservationId }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, decimal amount, string? model, string chargeId, CancellationToken cancellationToken = default)
    {
        StoreArguments.Charge(project, keys, amount, chargeId);
        var operation = new Operation { Kind = OperationKind.Charge, Keys = [.. keys], Amount = amount, Model = model, Id = chargeId };
        return RunAsync<BudgetCompletion>(project, operation, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        StoreArguments.Key(project, key);
        return RunAsync<BudgetState?>(project, new Operation { Kind = OperationKind.Reset, Key = key }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Sweeps the projects this instance has used and, with the default file layout, every project folder under
    /// <see cref="FileBudgetStoreOptions.Directory"/> that holds a budget file or journal.
    /// </remarks>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var projects = new SortedSet<string>(_projects.Keys, StringComparer.Ordinal);
        if (_pathForProject is null && Directory.Exists(_directory))
        {
            foreach (string folder in Directory.EnumerateDirectories(_directory))
            {
                string name = Path.GetFileName(folder);
                if (IsSafeProjectName(name) &&
                    (File.Exists(Path.Combine(folder, FileName)) || File.Exists(Path.Combine(folder, FileName + JournalSuffix))))
                {
                    projects.Add(name);
                }
            }
        }

        int rolled = 0;
        foreach (string project in projects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rolled += await RunAsync<int>(project, new Operation { Kind = OperationKind.Sweep }, cancellationToken).ConfigureAwait(false);
        }

        return rolled;
    }

    /// <summary>
    /// Writes every project this instance has changed to its <c>user_cost.json</c> (as <see cref="SaveAsync"/> does),
    /// then stops the store. A project whose file cannot be written now keeps its operations in the journal.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (ProjectState state in _projects.Values)
        {
            if (state.Ledger is null || state.Operations == 0)
            {
                continue;
            }

            try
            {
                CompactOnDisposeAsync(state).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException or InvalidDataException or FormatException or InvalidOperationException)
            {
                // Nothing is lost: the journal still holds every operation, and the next store folds it in.
            }
        }
    }

    private static bool IsFileLockingDisabled()
    {
        if (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out bool disabled) && disabled)
        {
            return true;
        }

        string? variable = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING");
        return variable is not null && (variable == "1" || variable.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsSafeProjectName(string project) =>
        !string.IsNullOrWhiteSpace(project) && project != "." && project != ".." &&
        project.IndexOfAny(['/', '\\']) < 0 && project.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    private static void ValidateProject(string project)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        if (!IsSafeProjectName(project))
        {
            throw new ArgumentException($"The project name '{project}' must be usable as one folder name: no path separators, no '.' or '..', no characters invalid in file names.", nameof(project));
        }
    }

    private string SnapshotPathFor(string project)
    {
        if (_pathForProject is null)
        {
            return Path.Combine(_directory, project, FileName);
        }

        string path = _pathForProject(project);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException($"FileBudgetStoreOptions.PathForProject returned no path for project '{project}'.");
        }

        return Path.GetFullPath(path, _directory);
    }

    private ProjectState GetProject(string project)
    {
        if (_projects.TryGetValue(project, out ProjectState? state))
        {
            return state;
        }

        ValidateProject(project);
        string path = SnapshotPathFor(project);
        string owner = _projectsByPath.GetOrAdd(path, project);
        if (!string.Equals(owner, project, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Projects '{owner}' and '{project}' would share the budget file '{path}'; FileBudgetStoreOptions.PathForProject must give each project its own file.");
        }

        return _projects.GetOrAdd(project, static (p, path) => new ProjectState(p, path), path);
    }
}
