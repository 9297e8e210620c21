namespace BudgetChat;

/// <summary>Argument checks every store makes at its public edge, so that all stores reject the same input the same way.</summary>
internal static class StoreArguments
{
    public static void Key(string project, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
    }

    public static void Keys(string project, IReadOnlyList<string> keys, decimal amount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one budget key is required.", nameof(keys));
        }

        for (int i = 0; i < keys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(keys[i]))
            {
                throw new ArgumentException($"Budget key at index {i} is null or empty.", nameof(keys));
            }

            for (int j = 0; j < i; j++)
            {
                if (string.Equals(keys[i], keys[j], StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Budget key '{keys[i]}' appears more than once.", nameof(keys));
                }
            }
        }
    }

    public static void Completion(string project, string reservationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(reservationId);
    }
}
