namespace BudgetChat;

/// <summary>The outcome of settling, releasing or charging: what happened, and the alerts the charge raised.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed class BudgetCompletion
{
    private static readonly BudgetCompletion[] Conflicts =
        [.. Enum.GetValues<BudgetConflict>().Select(c => new BudgetCompletion(BudgetCompletionStatus.Conflict, [], c))];

    private BudgetCompletion(BudgetCompletionStatus status, IReadOnlyList<BudgetAlert> alerts, BudgetConflict conflict = BudgetConflict.None)
    {
        Status = status;
        Alerts = alerts;
        Conflict = conflict;
    }

    /// <summary>Gets the outcome of a call that did the work and raised no alert.</summary>
    public static BudgetCompletion Completed { get; } = new(BudgetCompletionStatus.Completed, []);

    /// <summary>Gets the outcome of a call whose id an earlier call already completed.</summary>
    public static BudgetCompletion AlreadyCompleted { get; } = new(BudgetCompletionStatus.AlreadyCompleted, []);

    /// <summary>Gets the outcome of a call whose id is unknown.</summary>
    public static BudgetCompletion NotFound { get; } = new(BudgetCompletionStatus.NotFound, []);

    /// <summary>Gets what happened.</summary>
    public BudgetCompletionStatus Status { get; }

    /// <summary>Gets what the id is already used for, for <see cref="BudgetCompletionStatus.Conflict"/>; otherwise <see cref="BudgetConflict.None"/>.</summary>
    public BudgetConflict Conflict { get; }

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

    /// <summary>Gets the outcome of a call whose id is already used for something else.</summary>
    /// <param name="conflict">What the id is used for.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="conflict"/> is <see cref="BudgetConflict.None"/> or undefined.</exception>
    public static BudgetCompletion Conflicting(BudgetConflict conflict) =>
        conflict != BudgetConflict.None && Enum.IsDefined(conflict)
            ? Conflicts[(int)conflict]
            : throw new ArgumentOutOfRangeException(nameof(conflict), conflict, "A conflict names what the id is used for.");
}
