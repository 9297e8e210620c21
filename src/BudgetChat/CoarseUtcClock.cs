namespace BudgetChat;

/// <summary>
/// The system's UTC time to within a few milliseconds, read for a third of the cost of <see cref="DateTimeOffset.UtcNow"/>:
/// the system clock is read once a second, and the time since then is counted by <see cref="Environment.TickCount64"/>.
/// </summary>
/// <remarks>
/// For times that are minutes away and need no precision, such as when a reservation expires. Off by the tick count's
/// resolution (1 to 16 milliseconds, by system), and for up to a second after the system clock is set by more than
/// that. This type is thread-safe.
/// </remarks>
internal sealed class CoarseUtcClock
{
    private const long ResampleMilliseconds = 1_000;

    /// <summary>Gets the clock shared by everything in the process that reads the system's time this way.</summary>
    public static CoarseUtcClock Shared { get; } = new();

    // Replaced whole, so a reader racing a writer sees one consistent pair or the other.
    private Sample _sample = new(Environment.TickCount64, DateTimeOffset.UtcNow);

    /// <summary>Gets the time now, to within a few milliseconds.</summary>
    public DateTimeOffset GetUtcNow()
    {
        long tick = Environment.TickCount64;
        Sample sample = _sample;
        ulong elapsed = (ulong)(tick - sample.Tick);
        if (elapsed >= ResampleMilliseconds)
        {
            sample = new Sample(tick, DateTimeOffset.UtcNow);
            _sample = sample;
            return sample.Utc;
        }

        return sample.Utc.AddTicks((long)elapsed * TimeSpan.TicksPerMillisecond);
    }

    private sealed record Sample(long Tick, DateTimeOffset Utc);
}
