namespace BudgetChat.Tests;

public sealed class SequenceWindowTests
{
    private readonly Handover _handover = new();

    [Fact]
    public void ANumber_IsRememberedUntilItsTime_AndOthersAreNot()
    {
        var window = new SequenceWindow(1, first: 10);
        window.Add(10, forgetAtTicks: 100, nowTicks: 0, _handover);
        window.Add(12, forgetAtTicks: 200, nowTicks: 0, _handover);

        Assert.Equal(10UL, window.First);
        Assert.True(window.Contains(10, 99));
        Assert.False(window.Contains(10, 100));
        Assert.False(window.Contains(11, 0));
        Assert.True(window.Contains(12, 199));
        Assert.False(window.Contains(9, 0)); // below the window: not its number
    }

    [Fact]
    public void Adding_ANumberAgain_MovesItsTime()
    {
        var window = new SequenceWindow(1, first: 10);
        window.Add(10, forgetAtTicks: 100, nowTicks: 0, _handover);

        window.Add(10, forgetAtTicks: 500, nowTicks: 50, _handover);

        Assert.True(window.Contains(10, 499));
    }

    [Fact]
    public void AtASteadyRate_TheWindowMovesUp_WithoutGrowingPastTheNumbersRemembered()
    {
        var window = new SequenceWindow(1, first: 0);
        for (ulong s = 0; s < 1_000_000; s++)
        {
            // One number a tick, each remembered for 1,000 ticks.
            window.Add(s, forgetAtTicks: (long)s + 1_000, nowTicks: (long)s, _handover);
        }

        Assert.InRange(window.Capacity, 1_000, 4_096);
        Assert.InRange(window.First, 1_000_000UL - (ulong)window.Capacity, 1_000_000UL - 1_000);
        Assert.True(window.Contains(999_999, 999_999));
        Assert.True(window.Contains(999_000, 999_999));
        Assert.False(window.Contains(998_999, 999_999));
        Assert.Empty(_handover.Ids);
    }

    [Fact]
    public void NumbersRemembered_AreKeptWhenTheWindowGrows()
    {
        var window = new SequenceWindow(1, first: 100);
        for (ulong s = 100; s < 5_100; s += 2)
        {
            window.Add(s, forgetAtTicks: 1_000, nowTicks: 0, _handover);
        }

        Assert.Equal(100UL, window.First);
        for (ulong s = 100; s < 5_100; s++)
        {
            Assert.Equal(s % 2 == 0, window.Contains(s, 999));
        }
    }

    [Fact]
    public void ANumberTooFarUp_HandsTheRememberedOnesOver_AndStartsThere()
    {
        var window = new SequenceWindow(7, first: 1);
        window.Add(1, forgetAtTicks: 1_000, nowTicks: 0, _handover);
        window.Add(2, forgetAtTicks: 5, nowTicks: 0, _handover);
        window.Add(3, forgetAtTicks: 1_000, nowTicks: 0, _handover);
        ulong farUp = 3 + (ulong)SequenceWindow.MaxCapacity;

        window.Add(farUp, forgetAtTicks: 1_000, nowTicks: 10, _handover);

        Assert.Equal(farUp, window.First);
        Assert.True(window.Contains(farUp, 10));
        Assert.Equal([(7UL, 1UL, 1_000L), (7UL, 3UL, 1_000L)], _handover.Ids); // 2 was forgotten by then
        Assert.True(window.Capacity < SequenceWindow.MaxCapacity);
    }

    [Fact]
    public void AWindowThatWouldBeMostlyEmpty_HandsItsNumbersOver_InsteadOfGrowing()
    {
        // A client refused by its budget uses numbers up without completing calls: 10 completed, then the next at 1,000.
        var window = new SequenceWindow(7, first: 0);
        for (ulong s = 0; s < 10; s++)
        {
            window.Add(s, forgetAtTicks: 1_000, nowTicks: 0, _handover);
        }

        window.Add(1_000, forgetAtTicks: 1_000, nowTicks: 0, _handover);

        Assert.Equal(1_000UL, window.First);
        Assert.Equal(64, window.Capacity);
        Assert.Equal(10, _handover.Ids.Count);
        Assert.True(window.Contains(1_000, 0));
    }

    [Fact]
    public void ANumberFarUp_AfterEverythingWasForgotten_StartsThereWithoutHandingAnythingOver()
    {
        var window = new SequenceWindow(7, first: 1);
        window.Add(1, forgetAtTicks: 5, nowTicks: 0, _handover);
        ulong farUp = ulong.MaxValue - 1;

        window.Add(farUp, forgetAtTicks: 1_000, nowTicks: 10, _handover);

        Assert.Equal(farUp, window.First);
        Assert.True(window.Contains(farUp, 10));
        Assert.False(window.Contains(1, 0));
        Assert.Empty(_handover.Ids);
    }

    private sealed class Handover : ISequenceEvictionTarget
    {
        public List<(ulong Source, ulong Sequence, long ForgetAt)> Ids { get; } = [];

        public void Evict(ulong source, ulong sequence, long forgetAtTicks, long nowTicks) => Ids.Add((source, sequence, forgetAtTicks));
    }
}
