namespace BudgetChat.Stores;

/// <summary>
/// <see cref="InMemoryBudgetStore"/>'s spend ledger for one project: the newest records up to a capacity, each with its
/// sequence. The ledger adds to it directly (it is the ledger's <see cref="BudgetLedger.Records"/>).
/// </summary>
/// <remarks>Not thread-safe: the store uses it under the project's lock.</remarks>
internal sealed class SpendRing(int capacity) : ICollection<BudgetSpendRecord>
{
    private BudgetSpendRecord[] _items = [];
    private long _first = 1; // the sequence of the oldest record kept
    private long _next = 1; // the sequence of the next record

    public int Count => (int)(_next - _first);

    public bool IsReadOnly => false;

    /// <summary>Gets the sequence the next record gets, so that a failed update can drop what it added.</summary>
    public long Next => _next;

    public void Add(BudgetSpendRecord item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_items.Length < capacity && Count == _items.Length)
        {
            // Grow up to the capacity, so a project that records little holds little.
            var grown = new BudgetSpendRecord[Math.Min(capacity, Math.Max(64, _items.Length * 2))];
            for (long s = _first; s < _next; s++)
            {
                grown[s % grown.Length] = _items[s % _items.Length];
            }

            _items = grown;
        }

        if (Count == capacity)
        {
            _first++;
        }

        _items[_next % _items.Length] = item with { Sequence = _next };
        _next++;
    }

    /// <summary>Drops the records from <paramref name="sequence"/> on.</summary>
    public void TruncateFrom(long sequence)
    {
        for (long s = Math.Max(sequence, _first); s < _next; s++)
        {
            _items[s % _items.Length] = null!;
        }

        _next = Math.Max(Math.Min(_next, sequence), _first);
    }

    /// <summary>Drops the records older than <paramref name="before"/>; returns how many.</summary>
    public int Prune(DateTimeOffset before)
    {
        int pruned = 0;
        while (_first < _next && _items[_first % _items.Length].Time < before)
        {
            _items[_first % _items.Length] = null!;
            _first++;
            pruned++;
        }

        return pruned;
    }

    public BudgetSpendPage Query(BudgetSpendQuery query)
    {
        var page = new List<BudgetSpendRecord>();
        long? next = null;
        foreach (BudgetSpendRecord record in Ordered(query.OldestFirst))
        {
            if (!query.Matches(record))
            {
                continue;
            }

            if (page.Count == query.Limit)
            {
                next = page[^1].Sequence;
                break;
            }

            page.Add(record);
        }

        return new BudgetSpendPage(page, next);
    }

    public IReadOnlyList<BudgetSpendGroup> Group(BudgetSpendQuery query, BudgetSpendGrouping grouping)
    {
        IEnumerable<(string? Value, BudgetSpendRecord Record)> rows = grouping == BudgetSpendGrouping.Key
            ? Ordered(oldestFirst: true).Where(query.Matches).SelectMany(r => r.Keys.Select(k => ((string?)k, r)))
            : Ordered(oldestFirst: true).Where(query.Matches).Select(r => (BudgetSpendNames.GroupValue(r, grouping), r));
        List<BudgetSpendGroup> groups = [.. rows
            .GroupBy(row => row.Value, StringComparer.Ordinal)
            .Select(g => new BudgetSpendGroup
            {
                Value = g.Key,
                Calls = g.Count(row => row.Record.IsCall),
                Refused = g.Count(row => row.Record.Outcome == BudgetSpendOutcome.Refused),
                Cost = g.Sum(row => row.Record.Cost),
                Tokens = g.Sum(row => row.Record.Tokens),
                InputTokens = g.Sum(row => row.Record.InputTokens ?? 0),
                OutputTokens = g.Sum(row => row.Record.OutputTokens ?? 0),
            })];
        if (grouping == BudgetSpendGrouping.None && groups.Count == 0)
        {
            groups.Add(new BudgetSpendGroup());
        }

        return BudgetSpendGroupOrder.Apply(groups, grouping, query.Top);
    }

    public void Clear() => TruncateFrom(_first);

    public bool Contains(BudgetSpendRecord item) => this.Any(r => r == item);

    public void CopyTo(BudgetSpendRecord[] array, int arrayIndex)
    {
        foreach (BudgetSpendRecord record in this)
        {
            array[arrayIndex++] = record;
        }
    }

    public bool Remove(BudgetSpendRecord item) => throw new NotSupportedException();

    public IEnumerator<BudgetSpendRecord> GetEnumerator() => Ordered(oldestFirst: true).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<BudgetSpendRecord> Ordered(bool oldestFirst)
    {
        for (long i = 0, n = _next - _first; i < n; i++)
        {
            long s = oldestFirst ? _first + i : _next - 1 - i;
            yield return _items[s % _items.Length];
        }
    }
}
