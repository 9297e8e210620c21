using BudgetChat.Sqlite;
using BudgetChat.Stores;

namespace BudgetChat.Sqlite.Tests;

/// <summary>The names of reservation states in the file store's files and the SQLite store's rows.</summary>
public sealed class ReservationStateNamesTests
{
    [Fact]
    public void States_AreWrittenAsTheirNames_AndReadBack()
    {
        // ReservationState is internal, so the cases cannot be the parameters of a public theory.
        (ReservationState State, string Name)[] cases = [(ReservationState.Active, "active"), (ReservationState.Reclaimed, "reclaimed"), (ReservationState.Completed, "completed")];

        foreach ((ReservationState state, string name) in cases)
        {
            Assert.Equal(name, ReservationStateNames.ToName(state));
            Assert.Equal(state, ReservationStateNames.Parse(name));
            Assert.True(ReservationStateNames.TryParse(name, out ReservationState parsed));
            Assert.Equal(state, parsed);
        }
    }

    [Fact]
    public void EveryState_HasItsOwnName()
    {
        ReservationState[] states = Enum.GetValues<ReservationState>();

        Assert.Equal(states, states.Select(s => ReservationStateNames.Parse(ReservationStateNames.ToName(s))));
        Assert.Equal(states.Length, states.Select(ReservationStateNames.ToName).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("Active")]
    [InlineData("")]
    public void UnknownState_IsRefused(string name)
    {
        Assert.False(ReservationStateNames.TryParse(name, out _));
        FormatException ex = Assert.Throws<FormatException>(() => ReservationStateNames.Parse(name));
        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
    }
}
