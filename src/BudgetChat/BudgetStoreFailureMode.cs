namespace BudgetChat;

/// <summary>What a <see cref="BudgetingChatClient"/> does when its budget store cannot be reached.</summary>
public enum BudgetStoreFailureMode
{
    /// <summary>
    /// Refuse the call with a <see cref="BudgetStoreUnavailableException"/>; the model is not called. An outage of the
    /// budget service can never become unbounded spend. The default.
    /// </summary>
    FailClosed = 0,

    /// <summary>
    /// Call the model without a reservation, log a warning, and try to charge the cost afterwards. Availability over
    /// budgets: while the store is down nothing limits spend, and a cost that cannot be charged is logged as an error.
    /// </summary>
    FailOpen,
}
