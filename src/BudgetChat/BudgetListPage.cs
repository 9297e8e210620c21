namespace BudgetChat;

/// <summary>A page of a project's budgets (<see cref="IBudgetStore.ListBudgetsAsync(string, BudgetListQuery, CancellationToken)"/>), with totals over all of them.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record BudgetListPage
{
    /// <summary>Gets the budgets of the page, in the query's order.</summary>
    public required IReadOnlyList<BudgetState> Budgets { get; init; }

    /// <summary>Gets how many budgets the project has.</summary>
    public int Count { get; init; }

    /// <summary>Gets how many of them the query's search matched: the pages hold these.</summary>
    public int Matched { get; init; }

    /// <summary>Gets what every budget of the project has spent in the current window of its main limit, in US dollars.</summary>
    public decimal Spent { get; init; }

    /// <summary>Gets what active reservations hold on every budget of the project, in US dollars.</summary>
    public decimal Reserved { get; init; }

    /// <summary>Gets the sum of the main limits of the project's budgets that have one below <see cref="Stores.BudgetAmounts.Max"/> (the others have none to speak of).</summary>
    public decimal Limit { get; init; }

    /// <summary>Gets how many budgets have used 80% or more of a limit, but no limit up (<see cref="BudgetState.Used"/>).</summary>
    public int Near { get; init; }

    /// <summary>Gets how many budgets have used a limit up.</summary>
    public int Exhausted { get; init; }
}
