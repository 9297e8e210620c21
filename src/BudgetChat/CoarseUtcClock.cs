namespace BudgetChat;

/// <summary>
/// The system's UTC time to within a few milliseconds, read for a third of the cost of <see cref="DateTimeOffset.UtcNow"/>:
/// the system clock is read once a second, and the time since then is counted by <see cref="Environment.TickCount64"/>.
/// </summary>
/// <remarks>
/// For times that need no precision finer than that, such as when a reservation expires or which window a charge
/// falls in. Off by the tick count's resolution (1 to 16 milliseconds, by system), and for up to a second after the
/// system clock is set by more than that. Timestamps and timers are the system's. This type is thread-safe.
/// </remarks>
internal sealed class CoarseUtcClock : TimeProvider
{
    private const long ResampleMilliseconds = 1_000;

    private static readonly CoarseUtcClock Shared = new();

    // Replaced whole, so a reader racing a writer sees one consistent pair or the other.
    private Sample _sample = new(Environment.TickCount64, DateTimeOffset.UtcNow);

    /// <summary>
    /// Gets the clock to read: one shared coarse clock in place of <see cref="TimeProvider.System"/> (so that everything
    /// reading it agrees), any other clock as it is.
    /// </summary>
    public static TimeProvider For(TimeProvider timeProvider) => timeProvider == System ? Shared : timeProvider;

    /// <summary>Gets the time now, to within a few milliseconds.</summary>
    public override DateTimeOffset GetUtcNow()
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
