namespace BudgetChat;

/// <summary>A call that the cheaper-model ladder sent to another model than the one asked for (see <see cref="BudgetingChatClientOptions.CheaperModels"/>).</summary>
/// <param name="Project">The project of the call's budgets.</param>
/// <param name="FromModel">The model the call asked for.</param>
/// <param name="ToModel">The model the call was sent to.</param>
/// <param name="Reason">
/// Why: <c>refused</c> when the call did not fit a budget on the models before it, <c>low_budget</c> when a budget had less
/// left than <see cref="BudgetingChatClientOptions.DowngradeBelowRemainingShare"/>.
/// </param>
/// <param name="Key">The budget that refused or ran low.</param>
/// <param name="Window">The name of its limit that refused or ran low, for example <c>daily</c>.</param>
public sealed record BudgetModelDowngrade(string Project, string FromModel, string ToModel, string Reason, string? Key, string? Window);
