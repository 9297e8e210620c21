namespace BudgetChat;

/// <summary>Where a <see cref="BudgetManager"/> keeps budgets (LiteLLM's <c>client_type</c>).</summary>
public enum BudgetClientType
{
    /// <summary>In a <c>user_cost.json</c> file on this machine (<see cref="FileBudgetStore"/>).</summary>
    Local = 0,

    /// <summary>On a BudgetChat budget service, shared by every instance of the app (needs the BudgetChat.Http package).</summary>
    Hosted,
}
