namespace BudgetChat;

/// <summary>How a call (or a change of a budget's spend) ended, as recorded in the spend ledger.</summary>
public enum BudgetSpendOutcome
{
    /// <summary>The call was charged what its provider reported.</summary>
    Charged,

    /// <summary>
    /// The call was charged an estimate because the provider reported no usage; <see cref="BudgetSpendRecord.Reason"/>
    /// says why.
    /// </summary>
    Estimated,

    /// <summary>
    /// The call was refused before the model was called; <see cref="BudgetSpendRecord.RefusedKey"/> and
    /// <see cref="BudgetSpendRecord.RefusedWindow"/> name the budget and limit that refused it.
    /// </summary>
    Refused,

    /// <summary>The call failed or was cancelled before anything arrived, and what it held was given back.</summary>
    Released,

    /// <summary>
    /// A budget's spend was set to zero (a reset, or the budget was deleted): <see cref="BudgetSpendRecord.SpentAfter"/>
    /// is 0 and later records count from here.
    /// </summary>
    Reset,

    /// <summary>
    /// A budget's window was moved while its spend was kept (its period or start changed):
    /// <see cref="BudgetSpendRecord.SpentAfter"/> is the spend carried into the new window.
    /// </summary>
    Adjusted,
}
