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
}
