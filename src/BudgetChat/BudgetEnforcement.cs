namespace BudgetChat;

/// <summary>Whether a budget refuses calls that do not fit it.</summary>
public enum BudgetEnforcement
{
    /// <summary>A call that does not fit every limit is refused (or reduced to fit).</summary>
    Enforce = 0,

    /// <summary>
    /// Every limit is evaluated and the call is held and charged as usual, but a call that would be refused goes ahead and
    /// is reported as one that would have been refused (metric outcome <c>would_refuse</c>): for rolling budgets out
    /// without breaking anyone.
    /// </summary>
    Observe,
}
