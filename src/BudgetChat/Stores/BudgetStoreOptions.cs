namespace BudgetChat;

/// <summary>Options shared by the budget stores that keep their own ledger (in-memory, file).</summary>
public sealed class BudgetStoreOptions
{
    /// <summary>Gets or sets the time zone whose calendar aligns daily, weekly, monthly and yearly windows. Defaults to UTC.</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Gets or sets how long a settled, released or reclaimed reservation id is remembered, so that a retry within
    /// that time changes nothing, and a reservation reclaimed at its expiry can still be settled. Defaults to 10 minutes.
    /// </summary>
    /// <remarks>
    /// Every id is kept this long, so memory (and a file store's snapshot) grows with call rate × retention: about
    /// 600,000 ids at 1,000 calls per second with the default. Retries of a lost settlement come within seconds.
    /// </remarks>
    public TimeSpan CompletedIdRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
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
