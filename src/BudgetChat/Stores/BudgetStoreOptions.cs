using System.ComponentModel.DataAnnotations;

namespace BudgetChat;

/// <summary>Options shared by the budget stores that keep their own ledger (in-memory, file).</summary>
public sealed class BudgetStoreOptions
{
    /// <summary>Gets or sets the time zone whose calendar aligns daily, weekly, monthly and yearly windows. Defaults to UTC.</summary>
    [Required]
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Gets or sets how long a settled, released or reclaimed reservation id is remembered, so that a retry within
    /// that time changes nothing, and a reservation reclaimed at its expiry can still be settled. Defaults to 10 minutes.
    /// </summary>
    /// <remarks>
    /// Every id is kept this long, so memory (and a persistent store's table of ids) grows with call rate × retention: about
    /// 600,000 ids at 1,000 calls per second with the default. Retries of a lost settlement come within seconds.
    /// </remarks>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", MinimumIsExclusive = true)]
    public TimeSpan CompletedIdRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets how many spend records (<see cref="IBudgetSpendLog"/>) <see cref="InMemoryBudgetStore"/> keeps per
    /// project; the oldest are dropped first. Defaults to 10,000. Stores that write records to disk keep them for the
    /// reset service's <see cref="BudgetResetServiceOptions.SpendRetention"/> instead.
    /// </summary>
    [Range(1, 10_000_000)]
    public int SpendRecordCapacity { get; set; } = 10_000;

    /// <summary>Checks the options (their data annotations), naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    internal void Validate() => OptionsValidation.ThrowIfFailed(new BudgetStoreOptionsValidator().Validate(null, this), this);
}
