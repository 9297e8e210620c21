namespace BudgetChat;

/// <summary>Options shared by the budget stores that keep their own ledger (in-memory, file).</summary>
public sealed class BudgetStoreOptions
{
    /// <summary>Gets or sets the time zone whose calendar aligns daily, weekly, monthly and yearly windows. Defaults to UTC.</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Gets or sets how long a settled, released or reclaimed reservation id is remembered, so that a retry within
    /// that time changes nothing. Defaults to one day.
    /// </summary>
    public TimeSpan CompletedIdRetention { get; set; } = TimeSpan.FromDays(1);

    internal void Validate()
    {
        if (TimeZone is null)
        {
            throw new ArgumentException("A time zone is required.", nameof(TimeZone));
        }

        if (CompletedIdRetention <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CompletedIdRetention), CompletedIdRetention, "The retention of completed reservation ids must be positive.");
        }
    }
}
