namespace BudgetChat;

/// <summary>The order of the budgets in a <see cref="BudgetListPage"/>.</summary>
public enum BudgetListOrder
{
    /// <summary>By key, ordinal.</summary>
    Key,

    /// <summary>Most used first (<see cref="BudgetState.Used"/>), then by key.</summary>
    Used,

    /// <summary>Soonest run-out forecast of any limit first (<see cref="BudgetWindowState.RunsOutAt"/>), budgets without one last, then by key.</summary>
    RunsOut,
}
