using System.ComponentModel.DataAnnotations;
using BudgetChat.Http;

namespace BudgetChat.LiteLlm;

/// <summary>Options of <see cref="BudgetManager"/>.</summary>
/// <remarks>
/// The <see cref="BudgetManager"/> constructor checks them (the rules <see cref="IValidatableObject.Validate"/> states)
/// and throws an <see cref="ArgumentException"/> naming the setting. Not thread-safe while being configured.
/// </remarks>
public sealed class BudgetManagerOptions : IValidatableObject
{
    /// <summary>
    /// Gets or sets the API key a hosted manager sends as <c>Authorization: Bearer</c>, or <see langword="null"/> for
    /// the <c>BUDGETCHAT_API_KEY</c> environment variable (<see cref="HostedBudgetStoreOptions.ApiKeyEnvironmentVariable"/>),
    /// or none when that is not set either. A key set here wins over the environment; so does an <c>Authorization</c>
    /// entry of <see cref="Headers"/>. It is never logged or put in exception messages. A local manager ignores it.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets the headers a hosted manager sends, as given, on every request (LiteLLM's <c>headers=</c>): an
    /// <c>Authorization</c> header instead of <see cref="ApiKey"/>, a gateway's key, a tenant id. Names are
    /// case-insensitive; a <c>Content-Type</c> of <c>application/json</c>, LiteLLM's default, is allowed and left to the
    /// body. Values are never logged or put in exception messages. A local manager ignores them.
    /// </summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

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

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        // Never the key itself: only what is wrong with it.
        if (ApiKey is not null && (string.IsNullOrWhiteSpace(ApiKey) || ApiKey.Any(char.IsControl)))
        {
            yield return new ValidationResult(
                $"{nameof(BudgetManagerOptions)}.{nameof(ApiKey)} must be null or a non-empty key without control characters.", [nameof(ApiKey)]);
        }

        foreach (string problem in RequestHeaderRules.Problems(Headers, $"{nameof(BudgetManagerOptions)}.{nameof(Headers)}", ApiKey is null ? null : $"{nameof(BudgetManagerOptions)}.{nameof(ApiKey)}"))
        {
            yield return new ValidationResult(problem, [nameof(Headers)]);
        }

        if (ReservationTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult(
                $"{nameof(BudgetManagerOptions)}.{nameof(ReservationTimeout)} must be positive; it is {ReservationTimeout}.", [nameof(ReservationTimeout)]);
        }
    }
}
