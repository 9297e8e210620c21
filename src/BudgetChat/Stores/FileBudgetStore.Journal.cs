using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace BudgetChat;

// How the files stay consistent:
//
// - user_cost.json (the snapshot) only ever changes by rename of a complete, flushed temporary file.
// - The journal's first line (header) names the SHA-256 of the snapshot it continues, and a random id, so a process
//   can tell by comparing one line whether the journal is still the one it has applied up to some offset.
// - Compaction appends a "compacting" line naming the new snapshot's hash to the old journal before renaming the new
//   snapshot into place, then replaces the journal. A crash between the two leaves a new snapshot next to the old
//   journal: a process that has followed that journal finds the marker, and a process starting cold finds a header
//   that names another snapshot. Either way the journal is known to be in the snapshot already, and is not applied twice.
// - Everything happens under the lock file, so at most one process reads, appends or compacts at a time.
public sealed partial class FileBudgetStore
{
    private const string JournalSuffix = ".journal";
    private const string LockSuffix = ".lock";
    private const int JournalFormat = 1;

    private static readonly JsonWriterOptions JournalWriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // still escapes control characters, so a line never holds a raw newline
        SkipValidation = true,
    };

    /// <summary>Gets or sets a callback run right after a compaction renamed the new snapshot into place; tests use it to simulate a crash there.</summary>
    internal Action? AfterSnapshotReplaced { get; set; }

    private DateTimeOffset Now => _timeProvider.GetUtcNow().ToUniversalTime();

    private async ValueTask<T> RunAsync<T>(string project, Operation operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        ProjectState state = GetProject(project);
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SafeFileHandle fileLock;
            try
            {
                fileLock = await LockAsync(state, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && !Directory.Exists(state.FolderPath))
            {
                // The lock file lives in the project's folder, so the folder is looked for only when taking it failed:
                // the usual call costs no extra file-system call.
                if (!operation.CanCreateProject)
                {
                    // Nothing was ever stored for this project, or its folder was deleted: answer as an empty ledger
                    // would, without creating files.
                    state.Invalidate();
                    return (T)operation.Apply(new BudgetLedger(project, _ledgerOptions), Now)!;
                }

                Directory.CreateDirectory(state.FolderPath);
                fileLock = await LockAsync(state, cancellationToken).ConfigureAwait(false);
            }

            using (fileLock)
            {
                return (T)Execute(state, operation)!;
            }
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private object? Execute(ProjectState state, Operation operation)
    {
        SafeFileHandle? journal = null;
        object? result = null;
        Exception? refused = null;
        try
        {
            journal = CatchUp(state);
            BudgetLedger ledger = state.Ledger!;
            DateTimeOffset now = Now;
            long version = ledger.Version;
            try
            {
                result = operation.Apply(ledger, now);
            }
            catch (Exception ex) when (ex is ArgumentException or BudgetNotFoundException)
            {
                // The ledger refuses these before changing anything but its due reclaims; those are journaled below
                // with the call, which refuses again when replayed.
                refused = ex;
            }

            // Only what changed the ledger is journaled: a refused reservation or a retried settlement costs no write.
            if (ledger.Version != version)
            {
                journal = Append(state, journal, operation, now);
                if (state.Operations >= _compactAfterOperations && state.Offset - state.Header!.Length >= state.SnapshotLength)
                {
                    TryCompact(state, ref journal);
                }
            }
        }
        catch
        {
            // What this process holds may now differ from the files; read them again next time.
            state.Invalidate();
            throw;
        }
        finally
        {
            journal?.Dispose();
        }

        if (refused is not null)
        {
            ExceptionDispatchInfo.Throw(refused);
        }

        return result;
    }

    private async ValueTask SaveCoreAsync(string project, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await CompactAsync(GetProject(project), force: true, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask CompactOnDisposeAsync(ProjectState state) => CompactAsync(state, force: false, CancellationToken.None);

    private async ValueTask CompactAsync(ProjectState state, bool force, CancellationToken cancellationToken)
    {
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(state.FolderPath);
            using SafeFileHandle fileLock = await LockAsync(state, cancellationToken).ConfigureAwait(false);
            SafeFileHandle? journal = null;
            try
            {
                journal = CatchUp(state);
                if (force || state.Operations > 0)
                {
                    Compact(state, ref journal);
                }
            }
            catch
            {
                state.Invalidate();
                throw;
            }
            finally
            {
                journal?.Dispose();
            }
        }
        finally
        {
            state.Gate.Release();
        }
    }

    // ---------------------------------------------------------------- lock

    private async ValueTask<SafeFileHandle> LockAsync(ProjectState state, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        int attempts = 0;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix and a sharing lock on Windows: held by this handle
                // alone, across processes, and released by the system if the process dies.
                return File.OpenHandle(state.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (IsHeldByAnother(ex))
            {
            }

            // Real time, not the store's clock: a test clock that stands still must not make the wait endless.
            if (_lockTimeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(started) >= _lockTimeout)
            {
                throw new TimeoutException($"Timed out after {_lockTimeout} waiting for the budget lock file '{state.LockPath}': another process or store instance held it all that time.");
            }

            // Holders keep the lock for microseconds: spin briefly, then back off up to 16 ms.
            attempts++;
            if (attempts <= 20)
            {
                Thread.SpinWait(50 * attempts);
                await Task.Yield();
            }
            else
            {
                await Task.Delay(Math.Min(1 << Math.Min(attempts - 21, 4), 16), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsHeldByAnother(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) is 32 or 33 // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
        : ex.HResult is 11 or 35; // EWOULDBLOCK on Linux, on macOS

    // ---------------------------------------------------------------- catch up

    private SafeFileHandle? CatchUp(ProjectState state)
    {
        SafeFileHandle? journal = OpenJournal(state.JournalPath);
        try
        {
            if (journal is null)
            {
                LoadSnapshot(state);

                // Start the journal now when there is a file, so that later calls need not read the file again.
                return state.SnapshotHash.Length > 0 ? CreateJournal(state) : null;
            }

            long length = RandomAccess.GetLength(journal);
            if (state.Ledger is null || state.Header is null || !HeaderMatches(journal, length, state.Header))
            {
                byte[] header = ReadHeader(journal, length, state.JournalPath);
                JournalHeader parsed = ParseHeader(header, state.JournalPath);
                LoadSnapshot(state);
                if (!string.Equals(parsed.Snapshot, state.SnapshotHash, StringComparison.Ordinal))
                {
                    // The journal continues another file than the one in place: a compaction renamed its new file and
                    // stopped before replacing the journal, so these operations are in the file already (or another
                    // program rewrote the file, which then wins).
                    journal.Dispose();
                    journal = null;
                    return CreateJournal(state);
                }

                if (!SameSettings(parsed))
                {
                    if (length > header.Length)
                    {
                        throw new InvalidOperationException(
                            $"The budget journal '{state.JournalPath}' was written with time zone '{parsed.TimeZone}' and id retention {TimeSpan.FromTicks(parsed.RetentionTicks)}; " +
                            $"this store uses '{_ledgerOptions.TimeZone.Id}' and {_ledgerOptions.CompletedIdRetention}. Every process sharing a budget file must use the same FileBudgetStoreOptions.Ledger.");
                    }

                    // Nothing was recorded under the other settings: this store's apply from here on.
                    journal.Dispose();
                    journal = null;
                    return CreateJournal(state);
                }

                state.Header = header;
                state.JournalBase = parsed.Snapshot;
                state.Offset = header.Length;
                state.Lines = 1;
                state.Operations = 0;
            }

            if (length < state.Offset)
            {
                throw new InvalidDataException($"The budget journal '{state.JournalPath}' is shorter ({length} bytes) than what this process has already read from it ({state.Offset}); something other than BudgetChat truncated it. It was left as it is.");
            }

            ReplayTail(state, ref journal, length);
            return journal;
        }
        catch
        {
            journal?.Dispose();
            throw;
        }
    }

    private void ReplayTail(ProjectState state, ref SafeFileHandle journal, long length)
    {
        state.TornTail = 0;
        if (length == state.Offset)
        {
            return;
        }

        int count = checked((int)(length - state.Offset));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            ReadExactly(journal, buffer.AsSpan(0, count), state.Offset, state.JournalPath);
            int start = 0;
            while (start < count)
            {
                int newline = buffer.AsSpan(start, count - start).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    // A torn last line: a process died while appending it, before its call returned, so the operation
                    // was never acknowledged (and a retry with the same id is idempotent). It is skipped here, and cut
                    // off before the next append so that no line is ever glued to it.
                    state.TornTail = count - start;
                    return;
                }

                state.Lines++;
                if (!ReplayLine(state, buffer.AsMemory(start, newline)))
                {
                    // The snapshot named by a compaction marker is in place: this journal is in it already.
                    journal.Dispose();
                    journal = CreateJournal(state);
                    return;
                }

                start += newline + 1;
                state.Offset += newline + 1;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <returns><see langword="false"/> when the line is a compaction marker whose snapshot has replaced the file.</returns>
    private bool ReplayLine(ProjectState state, ReadOnlyMemory<byte> line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw CorruptLine(state, $"it is not valid JSON ({ex.Message}).", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            try
            {
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("it is not a JSON object.");
                }

                if (root.TryGetProperty("op", out JsonElement op) && op.ValueKind == JsonValueKind.String && op.ValueEquals("compacting"u8))
                {
                    string hash = RequiredString(root, "snapshot");

                    // A marker naming the journal's own base changed nothing. Otherwise its snapshot is either in place
                    // (the compaction got past its rename and stopped: no line can follow, as the next holder of the lock
                    // replaces the journal) or was never installed, and the journal goes on.
                    if (string.Equals(hash, state.JournalBase, StringComparison.Ordinal))
                    {
                        return true;
                    }

                    byte[]? current = TryReadAllBytes(state.SnapshotPath);
                    if (current is not null && string.Equals(Hash(current), hash, StringComparison.Ordinal))
                    {
                        LoadSnapshot(state, current);
                        return false;
                    }

                    return true;
                }

                Operation operation = Operation.Parse(root, out DateTimeOffset now);
                try
                {
                    operation.Apply(state.Ledger!, now);
                }
                catch (Exception ex) when (ex is ArgumentException or BudgetNotFoundException)
                {
                    // Refused when it was made too; it is in the journal for what the ledger reclaimed before refusing.
                }

                state.Operations++;
                return true;
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException)
            {
                throw CorruptLine(state, ex.Message, ex);
            }
        }
    }

    private static InvalidDataException CorruptLine(ProjectState state, string reason, Exception inner) => new(
        $"The budget journal '{state.JournalPath}' has an unreadable line {state.Lines} (at byte {state.Offset}): {reason} " +
        "It was left as it is; fix or move it (after stopping every process that uses it) to continue.",
        inner);

    // ---------------------------------------------------------------- snapshot

    private void LoadSnapshot(ProjectState state, byte[]? bytes = null)
    {
        state.Ledger = null;
        state.Header = null;
        bytes ??= TryReadAllBytes(state.SnapshotPath);
        if (bytes is null)
        {
            state.Ledger = new BudgetLedger(state.Project, _ledgerOptions);
            state.SnapshotHash = string.Empty;
            state.SnapshotLength = 0;
        }
        else
        {
            var fileTime = new DateTimeOffset(File.GetLastWriteTimeUtc(state.SnapshotPath), TimeSpan.Zero);
            state.Ledger = ReadSnapshot(bytes, state.SnapshotPath, state.Project, _ledgerOptions, fileTime);
            state.SnapshotHash = Hash(bytes);
            state.SnapshotLength = bytes.Length;
        }

        state.Operations = 0;
        DeleteOrphanedTemporaryFiles(state);
    }

    private void TryCompact(ProjectState state, ref SafeFileHandle? journal)
    {
        try
        {
            Compact(state, ref journal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The operation is in the journal already, so it succeeded; the journal simply stays longer. Whatever
            // step failed, reading the files again next time finds a consistent state.
            state.Invalidate();
        }
    }

    private void Compact(ProjectState state, ref SafeFileHandle? journal)
    {
        byte[] snapshot = WriteSnapshot(state.Ledger!.Export());
        string hash = Hash(snapshot);
        string temporary = TemporaryPath(state.SnapshotPath);
        try
        {
            WriteFlushed(temporary, snapshot);
            if (journal is not null)
            {
                WriteLine(state, journal, BuildMarker(hash));
            }

            // Atomic on the same volume; a journaling file system keeps this rename ordered before the journal's below.
            File.Move(temporary, state.SnapshotPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        AfterSnapshotReplaced?.Invoke();
        state.SnapshotHash = hash;
        state.SnapshotLength = snapshot.Length;
        journal?.Dispose();
        journal = null;
        journal = CreateJournal(state);
    }

    private static byte[]? TryReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string TemporaryPath(string path) => $"{path}.{Guid.NewGuid():N}.tmp";

    private static void WriteFlushed(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for DeleteOrphanedTemporaryFiles.
        }
    }

    // Temporary files are written only under the lock, which this process holds: any found now belong to a process
    // that died while writing one.
    private static void DeleteOrphanedTemporaryFiles(ProjectState state)
    {
        string folder = state.FolderPath;
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(folder, Path.GetFileName(state.SnapshotPath) + ".*.tmp"))
        {
            TryDelete(file);
        }
    }

    // ---------------------------------------------------------------- journal

    private static SafeFileHandle? OpenJournal(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private SafeFileHandle CreateJournal(ProjectState state)
    {
        byte[] header = BuildHeader(state.SnapshotHash);
        string temporary = TemporaryPath(state.SnapshotPath);
        try
        {
            WriteFlushed(temporary, header);
            File.Move(temporary, state.JournalPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        SafeFileHandle journal = OpenJournal(state.JournalPath) ?? throw new IOException($"The budget journal '{state.JournalPath}' disappeared as it was created.");
        state.Header = header;
        state.JournalBase = state.SnapshotHash;
        state.Offset = header.Length;
        state.Lines = 1;
        state.Operations = 0;
        state.TornTail = 0;
        return journal;
    }

    private SafeFileHandle Append(ProjectState state, SafeFileHandle? journal, Operation operation, DateTimeOffset now)
    {
        journal ??= CreateJournal(state);
        ArrayBufferWriter<byte> buffer = state.Buffer;
        buffer.ResetWrittenCount();
        Utf8JsonWriter writer = state.Writer ??= new Utf8JsonWriter(buffer, JournalWriterOptions);
        writer.Reset(buffer);
        operation.Write(writer, now);
        writer.Flush();
        buffer.Write("\n"u8);
        WriteLine(state, journal, buffer.WrittenSpan);
        state.Operations++;
        return journal;
    }

    // One write per line, so that a crash can only tear the last line.
    private void WriteLine(ProjectState state, SafeFileHandle journal, ReadOnlySpan<byte> line)
    {
        if (state.TornTail > 0)
        {
            RandomAccess.SetLength(journal, state.Offset);
            state.TornTail = 0;
        }

        RandomAccess.Write(journal, line, state.Offset);
        if (_flushToDisk)
        {
            RandomAccess.FlushToDisk(journal);
        }

        state.Offset += line.Length;
        state.Lines++;
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> destination, long offset, string path)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(file, destination, offset);
            if (read == 0)
            {
                throw new IOException($"The budget journal '{path}' ended while it was being read.");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    private static bool HeaderMatches(SafeFileHandle journal, long length, byte[] expected)
    {
        if (length < expected.Length)
        {
            return false;
        }

        Span<byte> actual = expected.Length <= 512 ? stackalloc byte[expected.Length] : new byte[expected.Length];
        return RandomAccess.Read(journal, actual, 0) == expected.Length && actual.SequenceEqual(expected);
    }

    private static byte[] ReadHeader(SafeFileHandle journal, long length, string path)
    {
        byte[] start = new byte[(int)Math.Min(length, 4096)];
        int read = RandomAccess.Read(journal, start, 0);
        int newline = start.AsSpan(0, read).IndexOf((byte)'\n');
        return newline < 0
            ? throw new InvalidDataException($"The budget journal '{path}' has no complete first line. It was left as it is; fix or move it (after stopping every process that uses it) to continue.")
            : start[..(newline + 1)];
    }

    private byte[] BuildHeader(string snapshotHash)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, JournalWriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("budgetchat_journal", JournalFormat);
            writer.WriteString("id", Guid.NewGuid().ToString("N"));
            writer.WriteString("snapshot", snapshotHash);
            writer.WriteString("time_zone", _ledgerOptions.TimeZone.Id);
            writer.WriteNumber("retention", _ledgerOptions.CompletedIdRetention.Ticks);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] BuildMarker(string snapshotHash)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, JournalWriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op", "compacting");
            writer.WriteString("snapshot", snapshotHash);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static JournalHeader ParseHeader(byte[] header, string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(header);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("budgetchat_journal", out JsonElement format) || !format.TryGetInt32(out int version))
            {
                throw new FormatException("it is not a BudgetChat journal header.");
            }

            if (version != JournalFormat)
            {
                throw new FormatException($"it has format {version}, which this BudgetChat does not read ({JournalFormat}).");
            }

            string snapshot = root.TryGetProperty("snapshot", out JsonElement hash) && hash.ValueKind == JsonValueKind.String
                ? hash.GetString()!
                : throw new FormatException("'snapshot' is missing.");
            long retention = root.TryGetProperty("retention", out JsonElement ticks) && ticks.TryGetInt64(out long value)
                ? value
                : throw new FormatException("'retention' is missing.");
            return new JournalHeader(snapshot, RequiredString(root, "time_zone"), retention);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"The budget journal '{path}' has an unreadable first line: {ex.Message} It was left as it is; fix or move it (after stopping every process that uses it) to continue.", ex);
        }
    }

    private bool SameSettings(JournalHeader header)
    {
        if (header.RetentionTicks != _ledgerOptions.CompletedIdRetention.Ticks)
        {
            return false;
        }

        TimeZoneInfo ours = _ledgerOptions.TimeZone;
        if (string.Equals(header.TimeZone, ours.Id, StringComparison.Ordinal))
        {
            return true;
        }

        // The same zone can go by several ids (UTC and Etc/UTC, IANA and Windows names).
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(header.TimeZone).HasSameRules(ours);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    private sealed record JournalHeader(string Snapshot, string TimeZone, long RetentionTicks);

    private sealed class ProjectState(string project, string snapshotPath)
    {
        public string Project { get; } = project;

        public string SnapshotPath { get; } = snapshotPath;

        public string JournalPath { get; } = snapshotPath + JournalSuffix;

        public string LockPath { get; } = snapshotPath + LockSuffix;

        public string FolderPath { get; } = Path.GetDirectoryName(snapshotPath)!;

        /// <summary>Gets the in-process gate, so threads of this process queue here instead of spinning on the lock file.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Gets or sets the state as of <see cref="Offset"/> in the journal; <see langword="null"/> to read the files again.</summary>
        public BudgetLedger? Ledger { get; set; }

        /// <summary>Gets or sets the first line of the journal the ledger follows.</summary>
        public byte[]? Header { get; set; }

        /// <summary>Gets or sets the hash of the snapshot that journal continues.</summary>
        public string JournalBase { get; set; } = string.Empty;

        /// <summary>Gets or sets the hash of the snapshot in place, as last read or written; empty when there is none.</summary>
        public string SnapshotHash { get; set; } = string.Empty;

        public long SnapshotLength { get; set; }

        /// <summary>Gets or sets how many bytes of the journal the ledger has applied; always the end of a line.</summary>
        public long Offset { get; set; }

        /// <summary>Gets or sets the bytes after <see cref="Offset"/> that are a torn last line.</summary>
        public int TornTail { get; set; }

        /// <summary>Gets or sets how many lines of the journal have been read or written, the header included.</summary>
        public int Lines { get; set; }

        /// <summary>Gets or sets how many operations the journal holds.</summary>
        public int Operations { get; set; }

        public ArrayBufferWriter<byte> Buffer { get; } = new(256);

        public Utf8JsonWriter? Writer { get; set; }

        public void Invalidate()
        {
            Ledger = null;
            Header = null;
        }
    }
}
