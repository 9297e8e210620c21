namespace BudgetChat;

/// <summary>
/// The exception thrown when a budget store cannot be reached (a budget service that is down, times out or answers
/// with a server error), as opposed to a store that answered and refused.
/// </summary>
/// <remarks>
/// Stores that keep budgets elsewhere throw it so callers can tell an outage from a refusal: the
/// <see cref="BudgetingChatClient"/> fails closed on it (the model is not called) unless
/// <see cref="BudgetingChatClientOptions.StoreFailureMode"/> is <see cref="BudgetStoreFailureMode.FailOpen"/>.
/// </remarks>
public sealed class BudgetStoreUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetStoreUnavailableException"/> class.</summary>
    public BudgetStoreUnavailableException()
        : this("The budget store cannot be reached.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetStoreUnavailableException"/> class.</summary>
    /// <param name="message">The message.</param>
    public BudgetStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetStoreUnavailableException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">What went wrong reaching the store.</param>
    public BudgetStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
