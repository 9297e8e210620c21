namespace BudgetChat;

/// <summary>How often a budget's spend starts again from zero.</summary>
public enum BudgetPeriod
{
    /// <summary>The budget never resets by itself; spend accumulates until it is reset by hand.</summary>
    None = 0,

    /// <summary>The budget resets every day.</summary>
    Daily,

    /// <summary>The budget resets every week (on Monday when calendar-aligned).</summary>
    Weekly,

    /// <summary>The budget resets every month (on the 1st when calendar-aligned).</summary>
    Monthly,

    /// <summary>The budget resets every year (on 1 January when calendar-aligned).</summary>
    Yearly,

    /// <summary>The budget resets every minute (at the start of each minute when calendar-aligned): for TPM and RPM-style limits.</summary>
    Minutely,

    /// <summary>The budget resets every hour (at the start of each hour of the store's time zone when calendar-aligned).</summary>
    Hourly,
}
