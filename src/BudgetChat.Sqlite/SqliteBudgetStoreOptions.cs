using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace BudgetChat.Sqlite;

/// <summary>Options of <see cref="SqliteBudgetStore"/>.</summary>
/// <remarks>
/// <para>
/// Bind them from configuration with
/// <c>services.AddSqliteBudgetStore(configuration.GetSection("BudgetServer:Sqlite"))</c>, for example:
/// <c>{ "DataDirectory": "/var/lib/budgetchat", "Synchronous": "Full", "BusyTimeout": "00:00:30", "KeepSpendRecords": true,
/// "Ledger": { "TimeZone": "Europe/Berlin", "CompletedIdRetention": "00:10:00" } }</c>.
/// </para>
/// <para>The store copies these values when it is constructed; changing them afterwards has no effect on it.</para>
/// <para>
/// The rules are the data annotations on the properties and, for the database path, <see cref="IValidatableObject.Validate"/>;
/// a source-generated validator checks them in a container, and the store's constructor runs the same one.
/// </para>
/// </remarks>
public sealed class SqliteBudgetStoreOptions : IValidatableObject
{
    /// <summary>The file name of the database in <see cref="DataDirectory"/> when <see cref="DatabasePath"/> is not set.</summary>
    public const string DefaultFileName = "budgets.db";

    /// <summary>
    /// Gets or sets the folder the database lives in (created when missing), and that a relative
    /// <see cref="DatabasePath"/> is resolved against. Defaults to the working directory when the options are created.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>
    /// Gets or sets the path of the database file, absolute or relative to <see cref="DataDirectory"/>;
    /// <see langword="null"/> (the default) for <see cref="DefaultFileName"/> in <see cref="DataDirectory"/>.
    /// </summary>
    public string? DatabasePath { get; set; }

    /// <summary>
    /// Gets or sets the calendar time zone and id retention of the budgets. Every process sharing a database must use
    /// the same values, or their windows and remembered ids disagree.
    /// </summary>
    [Required]
    [ValidateObjectMembers]
    public BudgetStoreOptions Ledger { get; set; } = new();

    /// <summary>
    /// Gets or sets how long an operation waits for another connection (another store instance or process) to finish
    /// its write before it throws. Defaults to 30 seconds.
    /// </summary>
    /// <remarks>Writers hold the database for the few rows of one operation, so waits are short unless one is stuck.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "24.20:31:23.647", MinimumIsExclusive = true)]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how each commit is made durable. Defaults to <see cref="SqliteSynchronousMode.Full"/>.</summary>
    /// <remarks>
    /// With <see cref="SqliteSynchronousMode.Full"/> a settled charge is on the disk before the call returns, so not even a
    /// power loss forgets it; each write operation then costs one fsync, which is what limits its rate on most disks.
    /// <see cref="SqliteSynchronousMode.Normal"/> skips that fsync (the write-ahead log is flushed at checkpoints): a
    /// process crash still loses nothing, but a power loss or operating system crash may forget the last acknowledged
    /// operations, letting those users spend that money again.
    /// </remarks>
    [EnumDataType(typeof(SqliteSynchronousMode))]
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Full;

    /// <summary>
    /// Gets or sets a value indicating whether opening an existing database first checks it with SQLite's
    /// <c>PRAGMA quick_check</c> and refuses a damaged one (<see cref="InvalidDataException"/> naming the file) instead of
    /// failing later on every operation. Defaults to <see langword="true"/>; the check reads the whole file once, about a
    /// second per few hundred megabytes.
    /// </summary>
    public bool CheckIntegrityOnOpen { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether the store keeps a spend ledger (<see cref="IBudgetSpendLog"/>): one record
    /// per settle, charge, refusal and release, and per reset of a budget's spend, written with the charge. Defaults to
    /// <see langword="true"/>. Off, nothing is recorded (the records written before stay readable until pruned), which
    /// saves the record's rows and indexes on every settle. Every process sharing a database should use the same value,
    /// or the records of a window no longer add up to its spend.
    /// </summary>
    public bool KeepSpendRecords { get; set; } = true;

    /// <summary>
    /// Gets or sets how many spend records may wait to be indexed by key and user before a write indexes them; tests
    /// lower it so that their few records are read from the index as well as from the records not in it yet.
    /// </summary>
    internal int SpendIndexBatchSize { get; set; } = SqliteSpendRecords.IndexBatchSize;

    /// <summary>Gets the full path of the database file these options name.</summary>
    /// <returns><see cref="DatabasePath"/> resolved against <see cref="DataDirectory"/>, or <see cref="DefaultFileName"/> in it.</returns>
    /// <exception cref="ArgumentException">The options are invalid; the exception names the option.</exception>
    public string GetFullDatabasePath()
    {
        Validate();
        return Path.GetFullPath(DatabasePath ?? DefaultFileName, Path.GetFullPath(DataDirectory));
    }

    /// <summary>Checks every option, throwing an exception that names the first invalid one.</summary>
    internal void Validate() => OptionsValidation.ThrowIfFailed(new SqliteBudgetStoreOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (DatabasePath is not null && string.IsNullOrWhiteSpace(DatabasePath))
        {
            yield return new ValidationResult(
                $"{nameof(SqliteBudgetStoreOptions)}.{nameof(DatabasePath)} must not be empty; leave it null for the default file in the data directory.", [nameof(DatabasePath)]);
        }
        else if (DatabasePath is not null && (DatabasePath.StartsWith(':') || DatabasePath.Contains('\0', StringComparison.Ordinal) ||
            DatabasePath.StartsWith("file:", StringComparison.OrdinalIgnoreCase)))
        {
            yield return new ValidationResult(
                $"{nameof(SqliteBudgetStoreOptions)}.{nameof(DatabasePath)} '{DatabasePath}' must be a file path, not an in-memory database or a URI.", [nameof(DatabasePath)]);
        }
    }
}
