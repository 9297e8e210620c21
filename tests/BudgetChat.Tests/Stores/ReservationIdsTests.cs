namespace BudgetChat.Tests;

public sealed class ReservationIdsTests
{
    [Theory]
    [InlineData(0UL, 0UL, "0000000000000000-0000000000000000")]
    [InlineData(0x0123456789abcdefUL, 1UL, "0123456789abcdef-0000000000000001")]
    [InlineData(ulong.MaxValue, 0xfedcba9876543210UL, "ffffffffffffffff-fedcba9876543210")]
    public void Create_WritesSixteenHexDigits_AHyphen_AndSixteenMore(ulong source, ulong sequence, string expected)
    {
        string id = ReservationIds.Create(source, sequence);

        Assert.Equal(expected, id);
        Assert.True(ReservationIds.TryParse(id, out ulong readSource, out ulong readSequence));
        Assert.Equal(source, readSource);
        Assert.Equal(sequence, readSequence);
    }

    [Theory]
    [InlineData("")]
    [InlineData("r1")]
    [InlineData("0123456789abcdef-000000000000001")]
    [InlineData("0123456789abcdef-00000000000000001")]
    [InlineData("0123456789abcdef_0000000000000001")]
    [InlineData("0123456789abcdeg-0000000000000001")]
    [InlineData("0123456789abcdef-000000000000000:")]
    [InlineData("0123456789abcdef-000000000000000/")]
    [InlineData("0123456789abcdef-000000000000000@")]
    [InlineData("0123456789abcdef-000000000000000`")]
    [InlineData("0123456789abcdef- 000000000000001")]
    [InlineData("0123456789ABCDEF-0000000000000001")] // one id per pair of numbers: upper case is another id
    [InlineData("0123456789abcdef-00000000000000fF")]
    [InlineData("0123456789abcdef-000000000000000\u0130")] // its low seven bits are those of '0'
    [InlineData("0123456789abcde\u00e1-0000000000000001")] // its low seven bits are those of 'a'
    [InlineData("0123456789abcdef-000000000000000\u0661")] // a digit, but not an ASCII one
    public void TryParse_RefusesEveryOtherShape(string id)
    {
        Assert.False(ReservationIds.TryParse(id, out _, out _));
    }

    // Against a plain reading of the digits: random numbers round-trip, and any one character changed to something
    // other than a lower-case hex digit (or to another digit) is refused (or read as that other number).
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TryParse_AgreesWithAPlainReading(int seed)
    {
        var random = new Random(seed);
        for (int step = 0; step < 20_000; step++)
        {
            ulong source = (ulong)random.NextInt64(long.MinValue, long.MaxValue);
            ulong sequence = random.Next(3) == 0 ? (ulong)random.Next(1000) : (ulong)random.NextInt64(long.MinValue, long.MaxValue);
            char[] id = ReservationIds.Create(source, sequence).ToCharArray();
            int position = random.Next(id.Length);
            id[position] = (char)(random.Next(4) switch
            {
                0 => random.Next(0x80),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(0x10000),
                _ => "0123456789abcdef"[random.Next(16)],
            });
            string changed = new(id);

            bool expected = PlainParse(changed, out ulong expectedSource, out ulong expectedSequence);

            Assert.Equal(expected, ReservationIds.TryParse(changed, out ulong readSource, out ulong readSequence));
            if (expected)
            {
                Assert.Equal(expectedSource, readSource);
                Assert.Equal(expectedSequence, readSequence);
            }

            // The path taken without 128-bit vectors reads each half the same way.
            bool sourceRead = ReservationIds.TryReadHexByTable(changed.AsSpan(0, 16), out ulong tableSource);
            bool sequenceRead = ReservationIds.TryReadHexByTable(changed.AsSpan(17), out ulong tableSequence);
            Assert.Equal(expected, sourceRead && sequenceRead && changed[16] == '-');
            if (expected)
            {
                Assert.Equal(expectedSource, tableSource);
                Assert.Equal(expectedSequence, tableSequence);
            }
        }
    }

    private static bool PlainParse(string id, out ulong source, out ulong sequence)
    {
        source = 0;
        sequence = 0;
        if (id.Length != 33 || id[16] != '-' || !IsLowerHex(id.AsSpan(0, 16)) || !IsLowerHex(id.AsSpan(17)))
        {
            return false;
        }

        source = Convert.ToUInt64(id[..16], 16);
        sequence = Convert.ToUInt64(id[17..], 16);
        return true;

        static bool IsLowerHex(ReadOnlySpan<char> digits)
        {
            foreach (char c in digits)
            {
                if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
