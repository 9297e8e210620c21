namespace BudgetChat.Tests;

public sealed class CompletedIdTableTests
{
    [Fact]
    public void Contains_IsTrueUntilTheIdsTimeThenFalse()
    {
        var table = new CompletedIdTable();
        UInt128 id = CompletedIdTable.Fingerprint("r1");

        table.Add(id, forgetAtTicks: 1_000, nowTicks: 10);

        Assert.True(table.Contains(id, 999));
        Assert.False(table.Contains(id, 1_000));
        Assert.False(table.Contains(CompletedIdTable.Fingerprint("r2"), 10));
    }

    [Fact]
    public void Add_OfAnIdAlreadyThere_MovesItsTime()
    {
        var table = new CompletedIdTable();
        UInt128 id = CompletedIdTable.Fingerprint("r1");
        table.Add(id, forgetAtTicks: 100, nowTicks: 10);

        table.Add(id, forgetAtTicks: 500, nowTicks: 200);

        Assert.True(table.Contains(id, 499));
        Assert.Equal(1, table.UsedSlots);
    }

    [Fact]
    public void ContainsNew_AnswersAnIdCountingUp_WithoutReadingTheTable()
    {
        // The table's precondition is that every id it holds was asked about first; this breaks it on purpose to show
        // the answer comes from the count alone.
        var table = new CompletedIdTable();
        string first = ReservationIds.Create(5, 1);
        string id = ReservationIds.Create(5, 2);
        table.Add(CompletedIdTable.Fingerprint(first), forgetAtTicks: 1_000, nowTicks: 10);
        table.Add(CompletedIdTable.Fingerprint(id), forgetAtTicks: 1_000, nowTicks: 10);

        Assert.False(table.ContainsNew(first, 10)); // the client's first id
        Assert.False(table.ContainsNew(id, 10));    // counts up from it
        Assert.True(table.Contains(CompletedIdTable.Fingerprint(first), 10));
        Assert.True(table.Contains(CompletedIdTable.Fingerprint(id), 10));
    }

    [Fact]
    public void MiddlewareIds_AreRememberedByTheirClientsWindow_AndOthersByFingerprint()
    {
        var table = new CompletedIdTable();
        table.Add(ReservationIds.Create(9, 100), forgetAtTicks: 1_000, nowTicks: 10);
        table.Add(ReservationIds.Create(9, 101), forgetAtTicks: 1_000, nowTicks: 10);
        table.Add(ReservationIds.Create(9, 99), forgetAtTicks: 1_000, nowTicks: 10); // below the window: by fingerprint
        table.Add("r1", forgetAtTicks: 1_000, nowTicks: 10);
        table.Add(ReservationIds.Create(9, 0xab).ToUpperInvariant(), forgetAtTicks: 1_000, nowTicks: 10); // not the middleware's exact shape

        Assert.Equal(3, table.UsedSlots);
        foreach (string id in new[] { ReservationIds.Create(9, 100), ReservationIds.Create(9, 101), ReservationIds.Create(9, 99), "r1", ReservationIds.Create(9, 0xab).ToUpperInvariant() })
        {
            Assert.True(table.Contains(id, 999), id);
            Assert.False(table.Contains(id, 1_000), id);
        }

        Assert.False(table.Contains(ReservationIds.Create(9, 0xab), 10));
        Assert.False(table.Contains(ReservationIds.Create(8, 100), 10));
    }

    [Fact]
    public void MiddlewareIds_HandedOverByAWindowThatMovesFarUp_AreStillRemembered()
    {
        var table = new CompletedIdTable();
        table.Add(ReservationIds.Create(9, 1), forgetAtTicks: 1_000, nowTicks: 10);
        table.Add(ReservationIds.Create(9, 2), forgetAtTicks: 1_000, nowTicks: 10);
        ulong farUp = 2 + (ulong)SequenceWindow.MaxCapacity;

        table.Add(ReservationIds.Create(9, farUp), forgetAtTicks: 1_000, nowTicks: 10);

        Assert.Equal(2, table.UsedSlots);
        Assert.True(table.Contains(ReservationIds.Create(9, 1), 10));
        Assert.True(table.Contains(ReservationIds.Create(9, 2), 10));
        Assert.True(table.Contains(ReservationIds.Create(9, farUp), 10));
        Assert.False(table.Contains(ReservationIds.Create(9, 3), 10));
    }

    [Fact]
    public void Fingerprint_TellsIdsApartByEveryCharacter()
    {
        Assert.Equal(CompletedIdTable.Fingerprint("abc-0001"), CompletedIdTable.Fingerprint(new string("abc-0001".AsSpan())));
        Assert.NotEqual(CompletedIdTable.Fingerprint("abc-0001"), CompletedIdTable.Fingerprint("abc-0002"));
        Assert.NotEqual(CompletedIdTable.Fingerprint("abc-0001"), CompletedIdTable.Fingerprint("Abc-0001"));
        Assert.NotEqual(CompletedIdTable.Fingerprint("a"), CompletedIdTable.Fingerprint("a\0"));
    }

    // A long run of random operations, checked step by step against a plain dictionary of times: through many
    // rebuilds, reused slots of forgotten ids, ids forgotten and used again, and the clock standing still.
    // With reservationShapedIds, ids are those of BudgetingChatClient, mostly counting up as concurrent calls of a few
    // clients do, asked about as new ids are (ContainsNew): most are answered without the table, the rest from it.
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void RandomOperations_AgreeWithADictionary(int seed, bool reservationShapedIds)
    {
        var random = new Random(seed);
        var table = new CompletedIdTable();
        var expected = new Dictionary<string, long>();
        long now = 1;
        for (int step = 0; step < 200_000; step++)
        {
            // Ids from a range small enough that many come back, some while remembered and some after.
            string id = reservationShapedIds
                ? ReservationIds.Create((ulong)random.Next(3), (ulong)Math.Max(0, (step / 4) + random.Next(-3_000, 30)))
                : "id-" + random.Next(20_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            UInt128 fingerprint = CompletedIdTable.Fingerprint(id);
            bool remembered = expected.TryGetValue(id, out long forgetAt) && forgetAt > now;
            Assert.Equal(remembered, reservationShapedIds ? table.ContainsNew(id, now) : table.Contains(fingerprint, now));

            if (random.Next(3) > 0)
            {
                long until = now + 1 + random.Next(5_000);
                if (reservationShapedIds)
                {
                    table.Add(id, until, now);
                }
                else
                {
                    table.Add(fingerprint, until, now);
                }

                expected[id] = until;
            }

            now += random.Next(3);
        }

        foreach ((string id, long forgetAt) in expected)
        {
            Assert.Equal(forgetAt > now, table.Contains(id, now));
        }
    }

    [Fact]
    public void SteadyCallRate_KeepsTheTableSizedToTheIdsRemembered()
    {
        var table = new CompletedIdTable();

        // A million ids, one per tick, each remembered for 1,000 ticks: about 1,000 remembered at any time.
        for (long now = 1; now <= 1_000_000; now++)
        {
            table.Add(CompletedIdTable.Fingerprint("r" + now.ToString(System.Globalization.CultureInfo.InvariantCulture)), now + 1_000, now);
        }

        Assert.InRange(table.Capacity, 2_048, 4_096);
        Assert.True(table.UsedSlots <= table.Capacity * 7 / 10, $"{table.UsedSlots} of {table.Capacity} slots used.");
        Assert.True(table.Contains(CompletedIdTable.Fingerprint("r1000000"), 1_000_000));
        Assert.True(table.Contains(CompletedIdTable.Fingerprint("r999001"), 1_000_000));
        Assert.False(table.Contains(CompletedIdTable.Fingerprint("r999000"), 1_000_000));
    }
}
