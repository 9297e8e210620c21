namespace BudgetChat;

/// <summary>The outcome of <see cref="IBudgetStore.ReserveAsync"/>.</summary>
public enum BudgetReservationStatus
{
    /// <summary>Every key now holds the amount.</summary>
    Reserved = 0,

    /// <summary>At least one key cannot hold the amount; nothing was reserved.</summary>
    InsufficientBudget,

    /// <summary>At least one key has no budget; nothing was reserved.</summary>
    BudgetNotFound,

    /// <summary>The id is already used for something else (<see cref="BudgetReservationResult.Conflict"/> says what); nothing was reserved.</summary>
    Conflict,
}
