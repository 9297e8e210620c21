namespace BudgetChat.LiteLlm;

/// <summary>Options of <see cref="BudgetManager"/>.</summary>
public sealed class BudgetManagerOptions
{
    /// <summary>Gets or sets the model prices, or <see langword="null"/> for <see cref="ModelPriceCatalog.CreateDefault"/>.</summary>
    public ModelPriceCatalog? Prices { get; set; }

    /// <summary>Gets or sets the token counter, or <see langword="null"/> for a <see cref="TiktokenTokenEstimator"/>.</summary>
    public ITokenEstimator? TokenEstimator { get; set; }

    /// <summary>Gets or sets the clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Gets or sets where budgets created with a duration start their windows. Defaults to <see cref="BudgetWindowAlignment.Calendar"/>; <see cref="BudgetWindowAlignment.Rolling"/> is LiteLLM's behaviour.</summary>
    public BudgetWindowAlignment Alignment { get; set; }

    /// <summary>The default of <see cref="ReservationTimeout"/>: 10 minutes.</summary>
    public static readonly TimeSpan DefaultReservationTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets how long a lease from <see cref="BudgetManager.ReserveAsync"/> holds its money if the process dies
    /// before settling it; the store reclaims it after that. Longer than the slowest call; <see langword="null"/> for
    /// <see cref="DefaultReservationTimeout"/>.
    /// </summary>
    public TimeSpan? ReservationTimeout { get; set; }

    /// <summary>The default of <see cref="DatabasePath"/>.</summary>
    public const string DefaultDatabasePath = "budgetchat.db";

    /// <summary>
    /// Gets or sets the SQLite database a local manager keeps budgets in, resolved against the working directory, or
    /// <see langword="null"/> for <see cref="DefaultDatabasePath"/>. Several processes may share it.
    /// </summary>
    public string? DatabasePath { get; set; }

    /// <summary>
    /// Gets or sets LiteLLM's <c>user_cost.json</c> for a local manager: imported when the project has no budgets in the
    /// database yet, and written by <see cref="BudgetManager.SaveDataAsync"/>; <see langword="null"/> for
    /// <see cref="LiteLlmUserCostFile.DefaultFileName"/> in the working directory, where LiteLLM keeps it.
    /// </summary>
    public string? LiteLlmFilePath { get; set; }

    /// <summary>Gets or sets the logger factory for the import and export of LiteLLM's file, or <see langword="null"/> for no logging.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets the sinks for alerts raised by <see cref="BudgetManager.UpdateCostAsync(string, Microsoft.Extensions.AI.ChatResponse, CancellationToken)"/>, or <see langword="null"/> for none.</summary>
    public IEnumerable<IBudgetAlertSink>? AlertSinks { get; set; }
}
