namespace BudgetChat.Stores;

/// <summary>
/// Picks a <see cref="BudgetListPage"/> out of a project's budgets seen one at a time, adding up the totals as it goes and
/// keeping only the budgets that can still be on the page, so that the caller makes a <see cref="BudgetState"/> only for
/// those. Not thread-safe.
/// </summary>
/// <typeparam name="T">What the caller makes a budget's state from (a ledger's entry, or the state itself).</typeparam>
internal sealed class BudgetListSelector<T>
{
    private readonly BudgetListQuery _query;
    private readonly int _keep;
    private readonly PriorityQueue<Item, Item> _kept;
    private readonly Comparer<Item> _order;
    private int _count;
    private int _matched;
    private decimal _spent;
    private decimal _reserved;
    private decimal _limit;
    private int _near;
    private int _exhausted;

    public BudgetListSelector(BudgetListQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        _query = query;
        _keep = (int)Math.Min((long)query.Offset + query.Limit, int.MaxValue);
        _order = query.Order switch
        {
            BudgetListOrder.Used => Comparer<Item>.Create(static (a, b) => b.Used != a.Used ? b.Used.CompareTo(a.Used) : string.CompareOrdinal(a.Key, b.Key)),
            BudgetListOrder.RunsOut => Comparer<Item>.Create(static (a, b) => a.RunsOut != b.RunsOut ? a.RunsOut.CompareTo(b.RunsOut) : string.CompareOrdinal(a.Key, b.Key)),
            _ => Comparer<Item>.Create(static (a, b) => string.CompareOrdinal(a.Key, b.Key)),
        };

        // The last budget kept so far at the head, to be replaced by any that comes before it.
        _kept = new PriorityQueue<Item, Item>(Comparer<Item>.Create((a, b) => _order.Compare(b, a)));
    }

    /// <summary>Gets a value indicating whether <see cref="Add"/> needs the run-out forecast.</summary>
    public bool NeedsRunOut => _query.Order == BudgetListOrder.RunsOut;

    /// <summary>Counts a budget in the totals and keeps it while it can be on the page.</summary>
    /// <param name="key">Its key.</param>
    /// <param name="mainLimit">Its main limit.</param>
    /// <param name="spent">What its main limit's window has spent.</param>
    /// <param name="reserved">What is held on it.</param>
    /// <param name="used">The most any limit has used of itself (<see cref="BudgetState.Used"/>).</param>
    /// <param name="runsOut">The soonest run-out forecast, when <see cref="NeedsRunOut"/>.</param>
    /// <param name="source">What to make its state from if it is on the page.</param>
    public void Add(string key, decimal mainLimit, decimal spent, decimal reserved, decimal used, DateTimeOffset? runsOut, T source)
    {
        _count++;
        _spent += spent;
        _reserved += reserved;
        if (mainLimit < BudgetAmounts.Max)
        {
            _limit += mainLimit;
        }

        if (used >= 1m)
        {
            _exhausted++;
        }
        else if (used >= 0.8m)
        {
            _near++;
        }

        if (_query.Search is { } search && !key.Contains(search, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        _matched++;
        var item = new Item(key, used, runsOut?.UtcTicks ?? long.MaxValue, source);
        if (_kept.Count < _keep)
        {
            _kept.Enqueue(item, item);
        }
        else if (_order.Compare(item, _kept.Peek()) < 0)
        {
            _kept.EnqueueDequeue(item, item);
        }
    }

    /// <summary>Makes the page: the states of the budgets on it, in order, and the totals.</summary>
    /// <param name="snapshot">Makes a budget's state.</param>
    /// <returns>The page.</returns>
    public BudgetListPage ToPage(Func<T, BudgetState> snapshot)
    {
        Item[] kept = [.. _kept.UnorderedItems.Select(i => i.Element)];
        Array.Sort(kept, _order);
        return new BudgetListPage
        {
            Budgets = [.. kept.Skip(_query.Offset).Select(i => snapshot(i.Source))],
            Count = _count,
            Matched = _matched,
            Spent = _spent,
            Reserved = _reserved,
            Limit = _limit,
            Near = _near,
            Exhausted = _exhausted,
        };
    }

    private readonly record struct Item(string Key, decimal Used, long RunsOut, T Source);
}

/// <summary>Picks a <see cref="BudgetListPage"/> out of budget states: for a store that can only list them all.</summary>
internal static class BudgetListSelector
{
    public static BudgetListPage Select(IEnumerable<BudgetState> budgets, BudgetListQuery query)
    {
        var selector = new BudgetListSelector<BudgetState>(query);
        foreach (BudgetState budget in budgets)
        {
            selector.Add(budget.Key, budget.Limit, budget.Spent, budget.Reserved, budget.Used, selector.NeedsRunOut ? budget.SoonestRunOut : null, budget);
        }

        return selector.ToPage(static budget => budget);
    }
}
