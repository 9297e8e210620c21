namespace BudgetChat.Stores;

/// <summary>Argument checks every store makes at its public edge, so that all stores reject the same input the same way.</summary>
/// <remarks>
/// One method per shape of <see cref="IBudgetStore"/> operation, checking everything that operation takes, in the order
/// of its parameters; a store calls exactly the one for the operation and checks nothing itself.
/// </remarks>
public static class BudgetStoreArguments
{
    /// <summary>Checks the arguments of <see cref="IBudgetStore.ListBudgetsAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Project(string project) => ArgumentException.ThrowIfNullOrWhiteSpace(project);

    /// <summary>Checks the arguments of the operations on one budget: get, delete and reset.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget key.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Key(string project, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
    }

    /// <summary>Checks the arguments of the operations that define a budget: set and get-or-create.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget key.</param>
    /// <param name="definition">The budget definition.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Budget(string project, string key, BudgetDefinition definition)
    {
        Key(project, key);
        ArgumentNullException.ThrowIfNull(definition);
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.ReserveAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys; at least one, none blank, no duplicates.</param>
    /// <param name="amount">The amount; from 0 to <see cref="BudgetAmounts.Max"/>.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Reserve(string project, IReadOnlyList<string> keys, decimal amount, string reservationId)
    {
        Keys(project, keys, amount);
        ArgumentException.ThrowIfNullOrWhiteSpace(reservationId);
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.SettleAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <param name="actualCost">The actual cost; from 0 to <see cref="BudgetAmounts.Max"/>.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Settle(string project, string reservationId, decimal actualCost)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(reservationId);
        BudgetAmounts.Check(actualCost, nameof(actualCost));
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.ReleaseAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Release(string project, string reservationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(reservationId);
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.RenewAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Renew(string project, string reservationId) => Release(project, reservationId);

    /// <summary>Checks the arguments of <see cref="IBudgetStore.ChargeAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys; at least one, none blank, no duplicates.</param>
    /// <param name="amount">The amount; from 0 to <see cref="BudgetAmounts.Max"/>.</param>
    /// <param name="chargeId">The charge id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Charge(string project, IReadOnlyList<string> keys, decimal amount, string chargeId)
    {
        Keys(project, keys, amount);
        ArgumentException.ThrowIfNullOrWhiteSpace(chargeId);
    }

    private static void Keys(string project, IReadOnlyList<string> keys, decimal amount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentNullException.ThrowIfNull(keys);
        BudgetAmounts.Check(amount, nameof(amount));
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
}
