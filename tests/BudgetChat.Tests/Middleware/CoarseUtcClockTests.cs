namespace BudgetChat.Tests.Middleware;

public sealed class CoarseUtcClockTests
{
    // Across more than a second, so that the clock reads the system's again at least once on the way.
    [Fact]
    public void GetUtcNow_IsTheSystemTime_ToWithinItsResolution()
    {
        TimeProvider clock = CoarseUtcClock.For(TimeProvider.System);
        TimeSpan tolerance = TimeSpan.FromMilliseconds(100);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int reads = 0;
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(1.5))
        {
            DateTimeOffset before = DateTimeOffset.UtcNow;
            DateTimeOffset read = clock.GetUtcNow();
            DateTimeOffset after = DateTimeOffset.UtcNow;

            Assert.InRange(read, before - tolerance, after + tolerance);
            Assert.Equal(TimeSpan.Zero, read.Offset);
            reads++;
        }

        Assert.True(reads > 100, $"Only {reads} reads.");
    }

    [Fact]
    public void For_AnyOtherClock_IsThatClock()
    {
        var fake = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();

        Assert.Same(fake, CoarseUtcClock.For(fake));
        Assert.IsType<CoarseUtcClock>(CoarseUtcClock.For(TimeProvider.System));
    }
}
