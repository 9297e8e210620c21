namespace BudgetChat.Tests;

// RecordIsUnseen: which ids the table knows to be new without a lookup.
public sealed class CompletedIdTableUnseenTests
{
    [Fact]
    public void AnIdCountingUp_IsUnseen_AndNothingElseIs()
    {
        var table = new CompletedIdTable();

        Assert.True(table.RecordIsUnseen(ReservationIds.Create(7, 10)));  // the source's first id
        Assert.False(table.RecordIsUnseen(ReservationIds.Create(7, 10))); // the same id again
        Assert.False(table.RecordIsUnseen(ReservationIds.Create(7, 9)));  // below the highest: may have been seen
        Assert.True(table.RecordIsUnseen(ReservationIds.Create(7, 11)));
        Assert.True(table.RecordIsUnseen(ReservationIds.Create(7, 500)));
        Assert.False(table.RecordIsUnseen(ReservationIds.Create(7, 11)));
        Assert.True(table.RecordIsUnseen(ReservationIds.Create(8, 1)));   // another source counts on its own
    }

    [Fact]
    public void AnIdAdded_WithoutBeingAskedAbout_IsNotUnseenAfterwards()
    {
        var table = new CompletedIdTable();
        table.Add(ReservationIds.Create(7, 10), forgetAtTicks: 1_000, nowTicks: 10); // the source's first id
        table.Add(ReservationIds.Create(7, 20), forgetAtTicks: 1_000, nowTicks: 10);

        Assert.False(table.RecordIsUnseen(ReservationIds.Create(7, 20)));
        Assert.False(table.RecordIsUnseen(ReservationIds.Create(7, 15)));
        Assert.True(table.RecordIsUnseen(ReservationIds.Create(7, 21)));
    }

    [Theory]
    [InlineData("r1")]
    [InlineData("0000000000000007-000000000000000g")]
    [InlineData("0000000000000007+000000000000000a")]
    [InlineData("0000000000000007-000000000000000a0")]
    [InlineData(" 000000000000007-000000000000000a")]
    public void IdsOfAnotherShape_AreNeverUnseen(string id)
    {
        var table = new CompletedIdTable();

        Assert.False(table.RecordIsUnseen(id));
        Assert.False(table.RecordIsUnseen(id));
    }

    [Fact]
    public void OnceFull_ANewSource_IsNeverUnseen_WhileKnownSourcesStillAre()
    {
        var table = new CompletedIdTable();
        for (ulong source = 0; source < CompletedIdTable.MaxSources; source++)
        {
            Assert.True(table.RecordIsUnseen(ReservationIds.Create(source, 1)));
        }

        // Its first id may follow ids that were never recorded, so no id of it can be known to be new.
        Assert.False(table.RecordIsUnseen(ReservationIds.Create(CompletedIdTable.MaxSources, 1)));
        Assert.False(table.RecordIsUnseen(ReservationIds.Create(CompletedIdTable.MaxSources, 2)));
        Assert.True(table.RecordIsUnseen(ReservationIds.Create(3, 2)));
    }

    // Whatever the order ids arrive in, "unseen" is only ever said of an id not recorded before.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Unseen_IsNeverSaidOfAnIdRecordedBefore(int seed)
    {
        var random = new Random(seed);
        var table = new CompletedIdTable();
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        int unseen = 0;
        for (int step = 0; step < 100_000; step++)
        {
            // Mostly counting up, as concurrent calls of a few clients do, and some way back.
            ulong sequence = (ulong)Math.Max(0, (step / 3) + random.Next(-500, 20));
            string id = ReservationIds.Create((ulong)random.Next(4), sequence);
            if (random.Next(4) == 0)
            {
                id = id.ToUpperInvariant(); // another string of the same numbers, not of the middleware's exact shape
            }

            bool isUnseen = table.RecordIsUnseen(id);
            if (isUnseen)
            {
                Assert.DoesNotContain(id, recorded);
                unseen++;
            }

            recorded.Add(id);
        }

        Assert.True(unseen > 2_000, $"Only {unseen} ids counted up.");
    }
}
