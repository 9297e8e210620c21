namespace BudgetChat;

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

    /// <summary>Gets or sets the sinks for alerts raised by <see cref="BudgetManager.UpdateCostAsync(string, Microsoft.Extensions.AI.ChatResponse, CancellationToken)"/>, or <see langword="null"/> for none.</summary>
    public IEnumerable<IBudgetAlertSink>? AlertSinks { get; set; }
}
