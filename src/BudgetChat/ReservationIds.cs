using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BudgetChat;

/// <summary>
/// The reservation ids <see cref="BudgetingChatClient"/> makes: 16 hex digits naming the client, a hyphen, and 16 hex
/// digits that count the client's calls up.
/// </summary>
/// <remarks>
/// A store may use the shape to go faster (see <see cref="CompletedIdTable"/>), never to be right: any other
/// string is as valid an id. This type is thread-safe.
/// </remarks>
internal static class ReservationIds
{
    /// <summary>The length of an id.</summary>
    public const int Length = 33;

    private const int Digits = 16;

    /// <summary>Writes the id of a client's call.</summary>
    /// <param name="source">The number naming the client.</param>
    /// <param name="sequence">The call's number, counting up.</param>
    public static string Create(ulong source, ulong sequence) =>
        string.Create(Length, (source, sequence), static (span, state) =>
        {
            WriteHex(span[..Digits], state.source);
            span[Digits] = '-';
            WriteHex(span[(Digits + 1)..], state.sequence);
        });

    /// <summary>
    /// Reads an id back, when it is exactly what <see cref="Create"/> writes (lower-case hex digits), so that each pair
    /// of numbers has one id and each such id one pair.
    /// </summary>
    public static bool TryParse(string id, out ulong source, out ulong sequence)
    {
        source = 0;
        sequence = 0;
        return id.Length == Length
            && id[Digits] == '-'
            && TryReadHex(id.AsSpan(0, Digits), out source)
            && TryReadHex(id.AsSpan(Digits + 1), out sequence);
    }

    // The bytes' hex, which the runtime writes with vectors: the general number formatter costs more than the rest of
    // the id together, and a digit at a time more than both halves this way.
    private static void WriteHex(Span<char> destination, ulong value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        bool written = Convert.TryToHexStringLower(bytes, destination, out int count);
        Debug.Assert(written && count == Digits, "An id's halves are 16 digits each.");
    }

    // Sixteen digits at once where the processor has 128-bit vectors, else one by one: either way without a branch
    // per digit, which the random half of an id would mispredict about a third of the time.
    private static bool TryReadHex(ReadOnlySpan<char> digits, out ulong value)
    {
        Debug.Assert(digits.Length == Digits, "An id's halves are 16 digits each.");
        if (Vector128.IsHardwareAccelerated)
        {
            ref ushort first = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(digits));
            Vector128<ushort> low = Vector128.LoadUnsafe(ref first);
            Vector128<ushort> high = Vector128.LoadUnsafe(ref first, 8);
            Vector128<byte> chars = Vector128.Narrow(low, high);
            Vector128<byte> fromDigit = chars - Vector128.Create((byte)'0');
            Vector128<byte> fromLetter = chars - Vector128.Create((byte)'a');
            Vector128<byte> isDigit = Vector128.LessThan(fromDigit, Vector128.Create((byte)10));
            Vector128<byte> isLetter = Vector128.LessThan(fromLetter, Vector128.Create((byte)6));

            // A character above 0xFF narrows to its low byte: it is caught by its high byte.
            if (((low | high) & Vector128.Create((ushort)0xFF00)) != Vector128<ushort>.Zero || (isDigit | isLetter) != Vector128<byte>.AllBitsSet)
            {
                value = 0;
                return false;
            }

            Vector128<byte> nibbles = Vector128.ConditionalSelect(isDigit, fromDigit, fromLetter + Vector128.Create((byte)10));
            Vector128<byte> highNibbles = Vector128.Shuffle(nibbles, Vector128.Create((byte)0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0));
            Vector128<byte> lowNibbles = Vector128.Shuffle(nibbles, Vector128.Create((byte)1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0));
            Vector128<byte> bytes = Vector128.ShiftLeft(highNibbles, 4) | lowNibbles;

            // The first digits are the most significant: the bytes are big-endian.
            value = BinaryPrimitives.ReverseEndianness(bytes.AsUInt64().ToScalar());
            return true;
        }

        return TryReadHexByTable(digits, out value);
    }

    /// <summary>Reads hex digits one by one, by table; for processors without 128-bit vectors, and for tests.</summary>
    internal static bool TryReadHexByTable(ReadOnlySpan<char> digits, out ulong value)
    {
        ReadOnlySpan<byte> table = HexDigitValues;
        ulong result = 0;
        uint invalid = 0;
        foreach (char c in digits)
        {
            uint digit = table[c & 0x7F];
            invalid |= digit | (c & ~0x7Fu);
            result = (result << 4) | (digit & 0xF);
        }

        value = result;
        return (invalid & ~0xFu) == 0;
    }

    // The value of each ASCII character as a lower-case hex digit, 0xFF for any other character.
    private static ReadOnlySpan<byte> HexDigitValues =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
}
