using System.Numerics;

namespace BudgetChat;

/// <summary>
/// The completed ids of one client of the <see cref="ReservationIds"/> shape, by sequence number: a ring of forget
/// times covering the sequence numbers from <see cref="First"/> up, one 8-byte slot each.
/// </summary>
/// <remarks>
/// <para>
/// A client's ids count up, so the ids completed at one time sit next to each other in the ring: remembering and
/// looking up one touches memory its neighbours just touched, where a hash table touches a random place (a cache
/// and TLB miss once it holds hundreds of thousands of ids). Each id costs 8 bytes rather than the 35 to 100 of a
/// hash table slot.
/// </para>
/// <para>
/// The window moves up as its oldest ids are forgotten, and grows to cover the ids remembered while at least a
/// quarter of its slots hold one. A sequence number below <see cref="First"/> is not the window's: the owner keeps it
/// elsewhere. A number too far up to be covered together with the ids remembered (past <see cref="MaxCapacity"/>
/// slots, or in a window that would be mostly empty) makes the window hand those ids to the owner
/// (<see cref="ISequenceEvictionTarget"/>) and start again, small, at the new number. Not thread-safe: the owning
/// ledger's store serializes access.
/// </para>
/// </remarks>
internal sealed class SequenceWindow(ulong source, ulong first)
{
    /// <summary>The most sequence numbers a window covers: 32 MB of forget times.</summary>
    internal const int MaxCapacity = 1 << 22;

    private const int MinimumCapacity = 64;

    // _times[s & mask] is the forget time of sequence s for First <= s < First + capacity: 0 when it was never
    // completed, a time at or before now once forgotten.
    private long[] _times = new long[MinimumCapacity];

    /// <summary>Gets the client whose ids the window holds.</summary>
    public ulong Source { get; } = source;

    /// <summary>Gets the lowest sequence number the window covers.</summary>
    public ulong First { get; private set; } = first;

    /// <summary>
    /// Gets the highest sequence number of the client recorded (asked about or added) since the window was made; a
    /// number above it cannot have been recorded. Never lowered, however the window moves.
    /// </summary>
    public ulong Highest { get; private set; } = first;

    /// <summary>Gets the number of sequence numbers the window covers; for tests.</summary>
    internal int Capacity => _times.Length;

    /// <summary>Records a sequence number of the client; tells whether it counts above every one recorded before.</summary>
    public bool RecordIsUnseen(ulong sequence)
    {
        if (sequence <= Highest)
        {
            return false;
        }

        Highest = sequence;
        return true;
    }

    /// <summary>Tells whether a sequence number at or above <see cref="First"/> is remembered at a time.</summary>
    public bool Contains(ulong sequence, long nowTicks)
    {
        ulong offset = sequence - First;
        return offset < (ulong)_times.Length && _times[(int)(sequence & (ulong)(_times.Length - 1))] > nowTicks;
    }

    /// <summary>Remembers a sequence number at or above <see cref="First"/> until a time, replacing any time it had.</summary>
    /// <param name="sequence">The sequence number.</param>
    /// <param name="forgetAtTicks">When to forget it.</param>
    /// <param name="nowTicks">The time now.</param>
    /// <param name="evict">Receives the sequence numbers, still remembered, that the window drops to make room.</param>
    public void Add(ulong sequence, long forgetAtTicks, long nowTicks, ISequenceEvictionTarget evict)
    {
        if (sequence - First >= (ulong)_times.Length)
        {
            MakeRoom(sequence, nowTicks, evict);
        }

        _times[(int)(sequence & (ulong)(_times.Length - 1))] = forgetAtTicks;
    }

    private void MakeRoom(ulong sequence, long nowTicks, ISequenceEvictionTarget evict)
    {
        // Drop the oldest numbers that are forgotten or were never completed (one still in flight is kept elsewhere
        // when it completes, being below First by then), at most one pass over the ring.
        int mask = _times.Length - 1;
        for (int i = 0; i < _times.Length && sequence - First >= (ulong)_times.Length; i++)
        {
            ref long time = ref _times[(int)(First & (ulong)mask)];
            if (time > nowTicks)
            {
                break;
            }

            time = 0;
            First++;
        }

        ulong needed = sequence - First + 1;
        if (needed <= (ulong)_times.Length)
        {
            return;
        }

        // Grow while at least a quarter of the slots would hold a remembered number. Calls refused by their budgets
        // use up numbers without completing, so a client refused at a high rate leaves a sparse window; it is not
        // grown for the few numbers in it.
        if (needed <= MaxCapacity)
        {
            int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(needed, (ulong)_times.Length * 2));
            if ((long)CountRemembered(nowTicks) * 4 >= capacity)
            {
                Grow(capacity);
                return;
            }
        }

        // Too far up or too sparse to cover together with what is remembered: hand that over and start again, small,
        // at the new number.
        for (ulong s = First; s < First + (ulong)_times.Length; s++)
        {
            long time = _times[(int)(s & (ulong)mask)];
            if (time > nowTicks)
            {
                evict.Evict(Source, s, time, nowTicks);
            }
        }

        _times = new long[MinimumCapacity];
        First = sequence;
    }

    private int CountRemembered(long nowTicks)
    {
        int count = 0;
        foreach (long time in _times)
        {
            if (time > nowTicks)
            {
                count++;
            }
        }

        return count;
    }

    private void Grow(int capacity)
    {
        var times = new long[capacity];
        int oldMask = _times.Length - 1;
        int newMask = capacity - 1;
        for (ulong s = First; s < First + (ulong)_times.Length; s++)
        {
            times[(int)(s & (ulong)newMask)] = _times[(int)(s & (ulong)oldMask)];
        }

        _times = times;
    }
}

/// <summary>Keeps the ids a <see cref="SequenceWindow"/> hands over.</summary>
internal interface ISequenceEvictionTarget
{
    /// <summary>Remembers an id the window no longer covers, until its time.</summary>
    void Evict(ulong source, ulong sequence, long forgetAtTicks, long nowTicks);
}
