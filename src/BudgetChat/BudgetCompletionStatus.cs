namespace BudgetChat;

/// <summary>The outcome of settling, releasing or charging by id.</summary>
public enum BudgetCompletionStatus
{
    /// <summary>This call did the work.</summary>
    Completed = 0,

    /// <summary>An earlier call with the same id did the work; this one changed nothing.</summary>
    AlreadyCompleted,

    /// <summary>No reservation with that id is known (never made, or forgotten after its retention); nothing changed.</summary>
    NotFound,
}
