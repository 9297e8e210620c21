using BudgetChat.Stores;

namespace BudgetChat.Tests;

/// <summary>
/// A store that saves only what an operation changed (the SQLite store) relies on <see cref="BudgetLedger.Changes"/>
/// naming every budget and reservation id whose record changed: a copy kept up to date from those records alone must
/// always equal the whole ledger.
/// </summary>
public sealed class BudgetLedgerChangeTrackingTests
{
    private static readonly DateTimeOffset Epoch = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Keys = ["k0", "k1", "k2", "k3"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RecordsOfTheChangedKeysAndIds_AlwaysAddUpToTheWholeLedger(int seed)
    {
        var random = new Random(seed);
        var options = new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromMinutes(30) };
        var ledger = new BudgetLedger("acme", options) { Changes = new BudgetLedgerChanges() };
        var budgets = new Dictionary<string, BudgetRecord>(StringComparer.Ordinal);
        var reservations = new Dictionary<string, (ReservationRecord Record, DateTimeOffset? ForgetAt)>(StringComparer.Ordinal);
        DateTimeOffset now = Epoch;
        int changedOperations = 0;

        for (int step = 0; step < 1500; step++)
        {
            now += TimeSpan.FromMinutes(random.Next(0, 20));
            Apply(ledger, random, now);
            if (!ledger.Changes.IsEmpty)
            {
                changedOperations++;
            }

            foreach (string key in ledger.Changes.Budgets)
            {
                if (ledger.ExportBudget(key) is { } record)
                {
                    budgets[key] = record;
                }
                else
                {
                    budgets.Remove(key);
                }
            }

            foreach (string id in ledger.Changes.Reservations)
            {
                if (ledger.TryExportReservation(id, out ReservationRecord? record, out DateTimeOffset? forgetAt))
                {
                    reservations[id] = (record, forgetAt);
                }
                else
                {
                    reservations.Remove(id);
                }
            }

            ledger.Changes.Clear();
            AssertSame(ledger.Export(), budgets, reservations, step);
        }

        Assert.True(changedOperations > 500, $"Only {changedOperations} operations changed the ledger; the sequence tests too little.");
    }

    [Fact]
    public void WithoutChangeSet_TheLedgerRecordsNothing_AndBehavesTheSame()
    {
        var ledger = new BudgetLedger("acme", new BudgetStoreOptions());
        ledger.Set("k0", new BudgetDefinition(1m), null, Epoch);

        Assert.True(ledger.Reserve(["k0"], 0.5m, "r1", Epoch.AddMinutes(1), Epoch).IsReserved);

        Assert.Null(ledger.Changes);
        Assert.Equal(0.5m, ledger.ExportBudget("k0")!.Reserved);
    }

    [Fact]
    public void DeletingABudget_NamesTheReservationsThatHeldOnIt()
    {
        var ledger = new BudgetLedger("acme", new BudgetStoreOptions()) { Changes = new BudgetLedgerChanges() };
        ledger.Set("k0", new BudgetDefinition(1m), null, Epoch);
        ledger.Set("k1", new BudgetDefinition(1m), null, Epoch);
        Assert.True(ledger.Reserve(["k0", "k1"], 0.1m, "both", Epoch.AddHours(1), Epoch).IsReserved);
        Assert.True(ledger.Reserve(["k1"], 0.1m, "other", Epoch.AddHours(1), Epoch).IsReserved);
        ledger.Changes.Clear();

        Assert.True(ledger.Delete("k0", Epoch));

        Assert.Equal(["k0"], ledger.Changes.Budgets);
        Assert.Equal(["both"], ledger.Changes.Reservations);
        Assert.True(ledger.TryExportReservation("both", out ReservationRecord? record, out _));
        Assert.Equal([false, true], record.Holds);
    }

    private static void Apply(BudgetLedger ledger, Random random, DateTimeOffset now)
    {
        string key = Keys[random.Next(Keys.Length)];
        string id = "r" + random.Next(40);
        decimal amount = random.Next(0, 40) / 100m;
        try
        {
            switch (random.Next(13))
            {
                case 0:
                    var period = (BudgetPeriod)random.Next(5);
                    var alignment = (BudgetWindowAlignment)random.Next(2);
                    ledger.Set(key, new BudgetDefinition(random.Next(1, 5), period, alignment, [0.5m, 1m]), random.Next(3) == 0 ? now.AddHours(-5) : null, now);
                    break;
                case 1:
                    ledger.GetOrCreate(key, new BudgetDefinition(2m, BudgetPeriod.Daily), now);
                    break;
                case 2:
                    if (random.Next(4) == 0)
                    {
                        ledger.Delete(key, now);
                    }

                    break;
                case 3:
                    ledger.Get(key, now);
                    break;
                case 4:
                    ledger.List(now);
                    break;
                case 5:
                case 6:
                    string[] keys = random.Next(2) == 0 ? [key] : [key, Keys[(Array.IndexOf(Keys, key) + 1) % Keys.Length]];
                    ledger.Reserve(keys, amount, id, now.AddMinutes(random.Next(1, 30)), now);
                    break;
                case 7:
                case 8:
                    ledger.Settle(id, new BudgetUsage(amount, 0, random.Next(2) == 0 ? "gpt-4o" : null), now);
                    break;
                case 9:
                    ledger.Release(id, now);
                    break;
                case 10:
                    ledger.Charge([key], new BudgetUsage(amount, 0, "gpt-4o-mini"), "c" + random.Next(40), now);
                    break;
                case 11:
                    ledger.Reset(key, now);
                    break;
                default:
                    ledger.Sweep(now);
                    break;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or BudgetNotFoundException)
        {
            // Refused calls still reclaim and forget what came due; that is tracked like any other change.
        }
    }

    private static void AssertSame(
        SavedLedger whole,
        Dictionary<string, BudgetRecord> budgets,
        Dictionary<string, (ReservationRecord Record, DateTimeOffset? ForgetAt)> reservations,
        int step)
    {
        Assert.Equal(whole.Budgets.Select(b => b.Key), budgets.Keys.Order(StringComparer.Ordinal));
        foreach (BudgetRecord expected in whole.Budgets)
        {
            BudgetRecord actual = budgets[expected.Key];
            Assert.True(
                expected with { SpendByModel = actual.SpendByModel } == actual &&
                expected.SpendByModel.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(actual.SpendByModel.OrderBy(p => p.Key, StringComparer.Ordinal)),
                $"Step {step}: the saved record of budget '{expected.Key}' is out of date.");
        }

        var open = reservations.Values.Where(r => r.Record.State != ReservationState.Completed).Select(r => r.Record).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        var expectedOpen = whole.Reservations.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedOpen.Select(r => r.Id), open.Select(r => r.Id));
        for (int i = 0; i < open.Count; i++)
        {
            ReservationRecord expected = expectedOpen[i];
            ReservationRecord actual = open[i];
            Assert.True(
                expected.State == actual.State && expected.Amount == actual.Amount && expected.ExpiresAt == actual.ExpiresAt &&
                expected.Keys.SequenceEqual(actual.Keys) && expected.Holds.SequenceEqual(actual.Holds),
                $"Step {step}: the saved record of reservation '{expected.Id}' is out of date.");
        }

        // The queue may name an id twice (reclaimed, then settled); only its last time counts.
        var expectedForget = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach ((string id, DateTimeOffset forgetAt) in whole.ForgetQueue)
        {
            expectedForget[id] = forgetAt;
        }

        var forget = reservations.Where(r => r.Value.ForgetAt is not null).ToDictionary(r => r.Key, r => r.Value.ForgetAt!.Value, StringComparer.Ordinal);
        Assert.Equal(expectedForget.OrderBy(p => p.Key, StringComparer.Ordinal), forget.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
