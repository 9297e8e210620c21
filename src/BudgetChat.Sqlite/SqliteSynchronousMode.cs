namespace BudgetChat.Sqlite;

/// <summary>How hard a <see cref="SqliteBudgetStore"/> makes SQLite work to keep a committed operation (SQLite's <c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>
    /// <c>synchronous=FULL</c>: every commit is flushed to the disk (fsync of the write-ahead log) before the operation
    /// returns, so a settled charge survives a process crash, a power loss and an operating system crash.
    /// </summary>
    Full,

    /// <summary>
    /// <c>synchronous=NORMAL</c>: commits reach the operating system but are flushed to the disk only at checkpoints.
    /// A process crash loses nothing, and the database is never corrupted; a power loss or operating system crash can
    /// lose the last operations acknowledged before it (charges made and settled then are forgotten). Faster on disks
    /// where fsync is slow.
    /// </summary>
    Normal,
}
