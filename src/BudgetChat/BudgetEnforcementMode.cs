namespace BudgetChat;

/// <summary>How <see cref="BudgetingChatClient"/> decides whether a call may go ahead.</summary>
public enum BudgetEnforcementMode
{
    /// <summary>
    /// Reserve the call's worst-case cost on every budget before calling the model, and settle to the real cost
    /// after. Concurrent calls can never jointly exceed a limit by more than the estimate's error. The default.
    /// </summary>
    Reservation = 0,

    /// <summary>
    /// LiteLLM BudgetManager's semantics: admit a call while spend is below the limit, charge its real cost after.
    /// Concurrent calls can all pass the check before any is charged, and the last call may overshoot the limit.
    /// </summary>
    CheckThenCharge,
}
