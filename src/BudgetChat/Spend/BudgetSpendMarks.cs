namespace BudgetChat;

/// <summary>What happened to a call on its way, besides how it ended (<see cref="BudgetSpendOutcome"/>).</summary>
[Flags]
public enum BudgetSpendMarks
{
    /// <summary>Nothing besides the outcome.</summary>
    None = 0,

    /// <summary>
    /// <c>MaxOutputTokens</c> was lowered so the call fitted the budget; <see cref="BudgetSpendRecord.MaxOutputTokens"/>
    /// is what was sent.
    /// </summary>
    Reduced = 1,

    /// <summary>The call was moved down the cheaper-model ladder; <see cref="BudgetSpendRecord.RequestedModel"/> is the model asked for.</summary>
    Downgraded = 2,

    /// <summary>
    /// A limit in observe mode would have refused the call, which went ahead; <see cref="BudgetSpendRecord.RefusedKey"/>
    /// and <see cref="BudgetSpendRecord.RefusedWindow"/> name it.
    /// </summary>
    WouldRefuse = 4,
}
