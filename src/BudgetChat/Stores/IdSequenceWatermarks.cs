using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BudgetChat;

/// <summary>
/// For ids of the <see cref="ReservationIds"/> shape, the highest sequence number recorded per source: an id that
/// counts above it cannot have been recorded before, so a store can tell it is new without looking it up among the
/// ids it remembers (a memory access that usually misses the processor's cache).
/// </summary>
/// <remarks>
/// <para>
/// Only a hint that an id is new, never that it is not: an id of another shape, or one that does not count above its
/// source's highest (calls of one client that reach the store out of order), is looked up as before.
/// </para>
/// <para>
/// A source's highest must cover every id of that source ever recorded, so a source is only ever added at its first
/// id and never removed. Memory is bounded by <see cref="MaxSources"/>: once that many sources are known, ids of other
/// sources are no longer recognised as new (they are looked up). Not thread-safe: the owning ledger's store
/// serializes access.
/// </para>
/// </remarks>
internal sealed class IdSequenceWatermarks
{
    /// <summary>The most sources remembered; one per <see cref="BudgetingChatClient"/> instance that used the store.</summary>
    internal const int MaxSources = 4096;

    private readonly Dictionary<ulong, ulong> _highest = [];

    /// <summary>Records an id; tells whether it cannot have been recorded before.</summary>
    /// <returns>
    /// <see langword="true"/> when the id has the <see cref="ReservationIds"/> shape and its source is new or it counts
    /// above every id of its source recorded so far; otherwise <see langword="false"/> (which says nothing).
    /// </returns>
    public bool RecordIsUnseen(string id)
    {
        if (!ReservationIds.TryParse(id, out ulong source, out ulong sequence))
        {
            return false;
        }

        ref ulong highest = ref CollectionsMarshal.GetValueRefOrNullRef(_highest, source);
        if (!Unsafe.IsNullRef(ref highest))
        {
            if (sequence <= highest)
            {
                return false;
            }

            highest = sequence;
            return true;
        }

        // A source not known yet is new only while every source has been recorded from its first id: sources are
        // never removed, so once the map is full no source is added again.
        if (_highest.Count >= MaxSources)
        {
            return false;
        }

        _highest.Add(source, sequence);
        return true;
    }
}
