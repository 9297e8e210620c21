namespace BudgetChat;

/// <summary>Where the windows of a periodic budget start.</summary>
public enum BudgetWindowAlignment
{
    /// <summary>
    /// Windows follow the calendar of the store's time zone: days start at 00:00, weeks on Monday,
    /// months on the 1st and years on 1 January.
    /// </summary>
    Calendar = 0,

    /// <summary>
    /// Windows count from the budget's last reset (LiteLLM BudgetManager's behaviour): a monthly budget
    /// reset on 14 March at 10:30 next resets on 14 April at 10:30. Months and years have their real lengths.
    /// </summary>
    Rolling,
}
