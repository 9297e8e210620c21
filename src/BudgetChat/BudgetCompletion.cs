namespace BudgetChat;

/// <summary>The outcome of settling, releasing or charging: what happened, and the alerts the charge raised.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed class BudgetCompletion
{
    private BudgetCompletion(BudgetCompletionStatus status, IReadOnlyList<BudgetAlert> alerts)
    {
        Status = status;
        Alerts = alerts;
    }

    /// <summary>Gets the outcome of a call that did the work and raised no alert.</summary>
    public static BudgetCompletion Completed { get; } = new(BudgetCompletionStatus.Completed, []);

    /// <summary>Gets the outcome of a call whose id an earlier call already completed.</summary>
    public static BudgetCompletion AlreadyCompleted { get; } = new(BudgetCompletionStatus.AlreadyCompleted, []);

    /// <summary>Gets the outcome of a call whose id is unknown.</summary>
    public static BudgetCompletion NotFound { get; } = new(BudgetCompletionStatus.NotFound, []);

    /// <summary>Gets what happened.</summary>
    public BudgetCompletionStatus Status { get; }

    /// <summary>Gets the alert thresholds this charge crossed (empty for most charges, and always for releases).</summary>
    public IReadOnlyList<BudgetAlert> Alerts { get; }

    /// <summary>Creates the outcome of a charge that did the work.</summary>
    /// <param name="alerts">The thresholds it crossed.</param>
    /// <returns>The outcome.</returns>
    public static BudgetCompletion CompletedWith(IReadOnlyList<BudgetAlert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        return alerts.Count == 0 ? Completed : new(BudgetCompletionStatus.Completed, alerts);
    }
}
