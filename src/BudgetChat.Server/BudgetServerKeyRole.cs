namespace BudgetChat.Server;

/// <summary>What an API key of the budget service may do in its project (<see cref="BudgetServerApiKey.Role"/>).</summary>
/// <remarks>Bound from configuration as <c>enforce</c> or <c>admin</c> (case-insensitive).</remarks>
public enum BudgetServerKeyRole
{
    /// <summary>
    /// What an application that enforces budgets needs: read budgets, reserve, settle, release, renew, charge, and
    /// create a budget that does not exist yet (get-or-create, for a user's default budget). A leaked enforce key can
    /// spend its project's budgets but cannot raise, reset or delete them.
    /// </summary>
    Enforce = 0,

    /// <summary>
    /// Everything an enforce key may do, and also create, change, reset and delete budgets, sweep, and replace a
    /// project's budgets with LiteLLM's <c>/set_budget</c>.
    /// </summary>
    Admin = 1,
}
