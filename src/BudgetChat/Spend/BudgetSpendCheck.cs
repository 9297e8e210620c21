namespace BudgetChat;

/// <summary>What <see cref="BudgetSpendVerifier"/> found for one budget: its spend and what its spend records add up to.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record BudgetSpendCheck
{
    /// <summary>Gets the budget's key.</summary>
    public required string Key { get; init; }

    /// <summary>Gets the start of the budget's current window, from which its records were added up.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>Gets the budget's spend in its current window (<see cref="BudgetState.Spent"/>).</summary>
    public required decimal Spent { get; init; }

    /// <summary>Gets what the records add up to: the last reset or adjustment's spend in the window, plus the costs after it.</summary>
    public required decimal Recorded { get; init; }

    /// <summary>Gets how many charged records were added up.</summary>
    public required long Records { get; init; }

    /// <summary>Gets a value indicating whether the records add up to the spend exactly.</summary>
    public bool IsBalanced => Spent == Recorded;
}
