namespace BudgetChat.LiteLlm;

/// <summary>Where a <see cref="BudgetManager"/> keeps budgets (LiteLLM's <c>client_type</c>).</summary>
public enum BudgetClientType
{
    /// <summary>In a SQLite database on this machine, importing and writing LiteLLM's <c>user_cost.json</c> (see <see cref="BudgetManager"/>).</summary>
    Local = 0,

    /// <summary>On a BudgetChat budget service, shared by every instance of the app (needs the BudgetChat.Http package).</summary>
    Hosted,
}
