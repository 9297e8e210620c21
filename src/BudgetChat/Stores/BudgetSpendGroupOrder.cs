namespace BudgetChat.Stores;

/// <summary>
/// Puts spend groups in the order <see cref="IBudgetSpendLog.GroupSpendAsync"/> returns them and keeps the first
/// <see cref="BudgetSpendQuery.Top"/>: for a store that adds up its groups itself.
/// </summary>
public static class BudgetSpendGroupOrder
{
    private static readonly Comparer<BudgetSpendGroup> ByTime = Comparer<BudgetSpendGroup>.Create(static (a, b) => string.CompareOrdinal(a.Value, b.Value));

    private static readonly Comparer<BudgetSpendGroup> ByCost = Comparer<BudgetSpendGroup>.Create(static (a, b) =>
    {
        int cost = b.Cost.CompareTo(a.Cost);
        return cost != 0 ? cost : string.CompareOrdinal(a.Value, b.Value);
    });

    /// <summary>
    /// Orders groups by value for <see cref="BudgetSpendGrouping.Day"/> and <see cref="BudgetSpendGrouping.Hour"/> (earliest
    /// first), else by cost (costliest first, then by value, ordinal), and keeps the first <paramref name="top"/>.
    /// </summary>
    /// <param name="groups">The groups, one per value.</param>
    /// <param name="grouping">What they are grouped by.</param>
    /// <param name="top">How many to keep, or <see langword="null"/> for all.</param>
    /// <returns>The groups kept, in order.</returns>
    /// <remarks>Keeping a few of many costs time in proportion to the groups, not to sorting them all.</remarks>
    public static IReadOnlyList<BudgetSpendGroup> Apply(IEnumerable<BudgetSpendGroup> groups, BudgetSpendGrouping grouping, int? top)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(top ?? 1, 1, nameof(top));
        Comparer<BudgetSpendGroup> order = grouping is BudgetSpendGrouping.Day or BudgetSpendGrouping.Hour ? ByTime : ByCost;
        List<BudgetSpendGroup> kept;
        if (top is not { } n)
        {
            kept = [.. groups];
        }
        else
        {
            // The n first seen so far, the last of them at the head of the queue, to be replaced by any that comes before it.
            var first = new PriorityQueue<BudgetSpendGroup, BudgetSpendGroup>(Comparer<BudgetSpendGroup>.Create((a, b) => order.Compare(b, a)));
            foreach (BudgetSpendGroup group in groups)
            {
                if (first.Count < n)
                {
                    first.Enqueue(group, group);
                }
                else if (order.Compare(group, first.Peek()) < 0)
                {
                    first.EnqueueDequeue(group, group);
                }
            }

            kept = [.. first.UnorderedItems.Select(item => item.Element)];
        }

        kept.Sort(order);
        return kept;
    }
}
