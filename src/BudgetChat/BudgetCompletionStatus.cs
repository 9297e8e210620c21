namespace BudgetChat;

/// <summary>The outcome of settling, releasing or charging by id.</summary>
public enum BudgetCompletionStatus
{
    /// <summary>This call did the work.</summary>
    Completed = 0,

    /// <summary>An earlier call with the same id and the same parameters did the work; this one changed nothing.</summary>
    AlreadyCompleted,

    /// <summary>No reservation with that id is known (never made, or forgotten after its retention); nothing changed.</summary>
    NotFound,

    /// <summary>
    /// The id is already used for something else: a settle of a released reservation or of a charge, a release of a settled
    /// one, a charge reusing a reservation's id, or a repeat with another cost or amount (<see cref="BudgetCompletion.Conflict"/>
    /// says what). Nothing changed, so the cost of this call is not recorded.
    /// </summary>
    Conflict,
}
