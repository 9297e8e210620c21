using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace BudgetChat;

/// <summary>
/// The ids of completed reservations and charges of one in-memory ledger, each remembered until a time: the ids
/// <see cref="BudgetingChatClient"/> makes in a <see cref="SequenceWindow"/> of their client, any other id by a 128-bit
/// fingerprint (XxHash128 of the id's UTF-16 code units) in a hash table.
/// </summary>
/// <remarks>
/// <para>
/// The middleware's ids (<see cref="ReservationIds"/>) count up per client, so they are remembered by sequence number
/// in a window that moves up with them (8 bytes an id, memory touched in order), and one counting above its client's
/// last is known to be new without a lookup (the window's <see cref="SequenceWindow.Highest"/>). Up to
/// <see cref="MaxSources"/> clients get a window; ids of other clients, ids below a window (a call that took longer
/// than those after it) and ids of any other shape go to the hash table.
/// </para>
/// <para>
/// The hash table is built for the call rate: an open-addressing table of plain structs, so no string or object per id outlives its call
/// (the garbage collector never traces the table) and a lookup usually reads one cache line. An id whose time has come
/// is treated as absent at once and its slot is reused or dropped when the table is rebuilt, so there is no queue of
/// ids to forget and no lookup per forgotten id.
/// </para>
/// <para>
/// Two different ids share a fingerprint with a probability of about n²/2¹²⁹ for n ids remembered at once (below
/// 10⁻²² for a hundred million). Not thread-safe: the owning ledger's store serializes access.
/// </para>
/// </remarks>
internal sealed class CompletedIdTable : ISequenceEvictionTarget
{
    /// <summary>The most clients that get a window; one per <see cref="BudgetingChatClient"/> instance that used the store.</summary>
    internal const int MaxSources = 4096;

    private const int MinimumCapacity = 16;

    // Slot.ForgetAt: 0 for a slot never used since the last rebuild (it ends a probe), a time at or before now for an
    // id forgotten (skipped by lookups, reusable by inserts), a later time for an id remembered.
    private Slot[] _slots = new Slot[MinimumCapacity];
    private Slot[]? _spare;

    // One byte per slot, from the fingerprint's top bits: 0 while the slot was never used (so a probe ends there without
    // reading the slot), otherwise 1 to 255. A lookup of a new id reads only this array, 1/24th the size of the slots,
    // which stays in the processor's cache where the slots would not; it reads a slot only on a tag match.
    private byte[] _tags = new byte[MinimumCapacity];
    private byte[]? _spareTags;
    private int _used;

    // A window per client, made at the client's first id (asked about or added) while fewer than MaxSources exist, and
    // never removed: a window must see every id of its client from its first on (see RecordIsUnseen). The last one
    // used is kept at hand, since one client usually makes most of a store's calls.
    private readonly Dictionary<ulong, SequenceWindow> _windows = [];
    private SequenceWindow? _lastWindow;

    /// <summary>Gets how many slots hold an id, remembered or forgotten; for tests.</summary>
    internal int UsedSlots => _used;

    /// <summary>Gets the number of slots; for tests.</summary>
    internal int Capacity => _slots.Length;

    /// <summary>Gets the fingerprint of an id.</summary>
    public static UInt128 Fingerprint(string id) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(id.AsSpan()));

    /// <summary>
    /// Tells whether an id about to be used is remembered at a time, and records it as seen. An id that counts up from
    /// the last of its client is answered without a lookup (see <see cref="RecordIsUnseen(string)"/>).
    /// </summary>
    public bool ContainsNew(string id, long nowTicks)
    {
        if (!ReservationIds.TryParse(id, out ulong source, out ulong sequence))
        {
            return Contains(Fingerprint(id), nowTicks);
        }

        if (RecordIsUnseen(source, sequence, out SequenceWindow? window))
        {
            return false;
        }

        return window is not null && sequence >= window.First ? window.Contains(sequence, nowTicks) : Contains(Fingerprint(id), nowTicks);
    }

    /// <summary>Tells whether an id is remembered at a time.</summary>
    public bool Contains(string id, long nowTicks)
    {
        if (ReservationIds.TryParse(id, out ulong source, out ulong sequence) && WindowOf(source) is { } window && sequence >= window.First)
        {
            return window.Contains(sequence, nowTicks);
        }

        return Contains(Fingerprint(id), nowTicks);
    }

    /// <summary>Remembers an id until a time (later than <paramref name="nowTicks"/>), replacing any time it had.</summary>
    public void Add(string id, long forgetAtTicks, long nowTicks)
    {
        if (ReservationIds.TryParse(id, out ulong source, out ulong sequence))
        {
            RecordIsUnseen(source, sequence, out SequenceWindow? window);
            if (window is not null && sequence >= window.First)
            {
                window.Add(sequence, forgetAtTicks, nowTicks, this);
                return;
            }
        }

        Add(Fingerprint(id), forgetAtTicks, nowTicks);
    }

    /// <summary>
    /// Records an id as seen; tells whether it cannot have been recorded before: its client is new, or it counts above
    /// every id of its client recorded so far. Only a hint that an id is new, never that it is not: an id of another
    /// shape, of a client past <see cref="MaxSources"/>, or that does not count up (calls of one client
    /// that reach the store out of order) says nothing.
    /// </summary>
    internal bool RecordIsUnseen(string id) =>
        ReservationIds.TryParse(id, out ulong source, out ulong sequence) && RecordIsUnseen(source, sequence, out _);

    /// <inheritdoc/>
    void ISequenceEvictionTarget.Evict(ulong source, ulong sequence, long forgetAtTicks, long nowTicks) =>
        Add(Fingerprint(ReservationIds.Create(source, sequence)), forgetAtTicks, nowTicks);

    /// <summary>Tells whether an id is remembered at a time.</summary>
    public bool Contains(UInt128 fingerprint, long nowTicks)
    {
        Slot[] slots = _slots;
        byte[] tags = _tags;
        byte tag = TagOf(fingerprint);
        int mask = slots.Length - 1;
        int start = IndexOf(fingerprint, mask);
        for (int i = start; ; i = (i + 1) & mask)
        {
            byte t = tags[i];
            if (t == 0)
            {
                // A new id is added soon after (when its reservation completes): its probe reads the slots from here.
                Prefetch(ref slots[start]);
                return false;
            }

            if (t == tag && slots[i].Is(fingerprint))
            {
                return slots[i].ForgetAt > nowTicks;
            }
        }
    }

    /// <summary>Remembers an id until a time (later than <paramref name="nowTicks"/>), replacing any time it had.</summary>
    public void Add(UInt128 fingerprint, long forgetAtTicks, long nowTicks)
    {
        Slot[] slots = _slots;
        byte[] tags = _tags;
        byte tag = TagOf(fingerprint);
        int mask = slots.Length - 1;
        int reusable = -1;
        int i = IndexOf(fingerprint, mask);
        for (; tags[i] != 0; i = (i + 1) & mask)
        {
            if (tags[i] == tag && slots[i].Is(fingerprint))
            {
                slots[i].ForgetAt = forgetAtTicks;
                return;
            }

            if (reusable < 0 && slots[i].ForgetAt <= nowTicks)
            {
                reusable = i;
            }
        }

        // Not in the table (the probe reached a never-used slot): the first forgotten slot on the way will do.
        if (reusable >= 0)
        {
            slots[reusable] = new Slot(fingerprint, forgetAtTicks);
            tags[reusable] = tag;
            return;
        }

        slots[i] = new Slot(fingerprint, forgetAtTicks);
        tags[i] = tag;
        if (++_used > slots.Length / 10 * 7)
        {
            Rebuild(nowTicks);
        }
    }

    // Keeps the remembered ids only, in a table where they fill a quarter to a half of the slots: at least a fifth
    // of the slots are filled by new ids before the next rebuild, so each id pays for a few sequential slot reads.
    private void Rebuild(long nowTicks)
    {
        int remembered = 0;
        foreach (ref readonly Slot slot in _slots.AsSpan())
        {
            if (slot.ForgetAt > nowTicks)
            {
                remembered++;
            }
        }

        // A table of steady size is rebuilt into the array it was last rebuilt from: a large table lives on the large
        // object heap, and a new one every rebuild would bring full garbage collections.
        int capacity = Math.Max(MinimumCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)remembered * 2));
        Slot[] slots;
        byte[] tags;
        if (_spare?.Length == capacity)
        {
            slots = _spare;
            tags = _spareTags!;
            Array.Clear(slots);
            Array.Clear(tags);
        }
        else
        {
            slots = new Slot[capacity];
            tags = new byte[capacity];
        }

        int mask = slots.Length - 1;
        Slot[] old = _slots;
        byte[] oldTags = _tags;
        for (int j = 0; j < old.Length; j++)
        {
            if (old[j].ForgetAt > nowTicks)
            {
                int i = (int)old[j].Low & mask;
                while (tags[i] != 0)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = old[j];
                tags[i] = oldTags[j];
            }
        }

        (_spare, _spareTags) = (_slots, _tags);
        (_slots, _tags) = (slots, tags);
        _used = remembered;
    }

    private static unsafe void Prefetch<T>(ref T location)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref location));
        }
    }

    // Records an id of the middleware's shape: tells whether it is unseen, and gives its client's window (made at the
    // client's first id while there is room; null for a client that has none).
    private bool RecordIsUnseen(ulong source, ulong sequence, out SequenceWindow? window)
    {
        window = WindowOf(source);
        if (window is not null)
        {
            return window.RecordIsUnseen(sequence);
        }

        if (_windows.Count >= MaxSources)
        {
            return false;
        }

        window = new SequenceWindow(source, sequence);
        _windows.Add(source, window);
        _lastWindow = window;
        return true;
    }

    private SequenceWindow? WindowOf(ulong source)
    {
        if (_lastWindow is { } last && last.Source == source)
        {
            return last;
        }

        if (_windows.TryGetValue(source, out SequenceWindow? window))
        {
            _lastWindow = window;
        }

        return window;
    }

    private static int IndexOf(UInt128 fingerprint, int mask) => (int)(ulong)fingerprint & mask;

    // The top byte, independent of the low bits that pick the slot; never 0, which marks a slot never used.
    private static byte TagOf(UInt128 fingerprint) => (byte)Math.Max((uint)(fingerprint >> 120), 1u);

    // Two ulongs rather than a UInt128, whose 16-byte alignment would pad each slot from 24 bytes to 32.
    private struct Slot(UInt128 fingerprint, long forgetAt)
    {
        public ulong Low = (ulong)fingerprint;

        public ulong High = (ulong)(fingerprint >> 64);

        public long ForgetAt = forgetAt;

        public readonly bool Is(UInt128 fingerprint) => Low == (ulong)fingerprint && High == (ulong)(fingerprint >> 64);
    }
}
