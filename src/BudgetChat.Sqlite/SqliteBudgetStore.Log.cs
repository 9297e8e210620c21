using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Sqlite;

public sealed partial class SqliteBudgetStore
{
    private static JsonTypeInfo<string[]> StringArrayTypeInfo => SqliteRowJsonContext.Default.StringArray;

    private static JsonTypeInfo<Dictionary<string, string>> StringMapTypeInfo => SqliteRowJsonContext.Default.DictionaryStringString;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Created the budget database '{Path}'.")]
    private static partial void LogDatabaseCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The budget database '{Path}' could not be switched to WAL mode (journal mode is '{Mode}'); it stays consistent, but readers and writers block each other.")]
    private static partial void LogWalUnavailable(ILogger logger, string path, string? mode);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Project '{Project}' changed in the database since this store read it (version {CachedVersion} to {Version}); reading it again.")]
    private static partial void LogProjectReloaded(ILogger logger, string project, long cachedVersion, long version);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Upgraded the budget database '{Path}' from schema version {From} to {To}.")]
    private static partial void LogDatabaseUpgraded(ILogger logger, string path, long from, int to);
}
