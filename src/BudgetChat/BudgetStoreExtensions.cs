namespace BudgetChat;

/// <summary>The dollar-only forms of <see cref="IBudgetStore"/>'s settle and charge, with the model beside the cost.</summary>
public static class BudgetStoreExtensions
{
    /// <summary>Ends a reservation, charging <paramref name="actualCost"/> US dollars recorded against <paramref name="model"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="actualCost">What the call really cost, in US dollars.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What <see cref="IBudgetStore.SettleAsync"/> returns.</returns>
    public static ValueTask<BudgetCompletion> SettleAsync(this IBudgetStore store, string project, string reservationId, decimal actualCost, string? model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.SettleAsync(project, reservationId, new BudgetUsage(actualCost, 0, model), cancellationToken);
    }

    /// <summary>Charges <paramref name="amount"/> US dollars, recorded against <paramref name="model"/>, to every key without a reservation.</summary>
    /// <param name="store">The store.</param>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys to charge.</param>
    /// <param name="amount">The amount, in US dollars.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="chargeId">An id chosen by the caller; charging the same id twice charges once.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What <see cref="IBudgetStore.ChargeAsync"/> returns.</returns>
    public static ValueTask<BudgetCompletion> ChargeAsync(this IBudgetStore store, string project, IReadOnlyList<string> keys, decimal amount, string? model, string chargeId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.ChargeAsync(project, keys, new BudgetUsage(amount, 0, model), chargeId, cancellationToken);
    }
}
