namespace BudgetChat;

/// <summary>Which page of a project's budgets to read, and in which order: what a dashboard or a CLI shows of a large project.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record BudgetListQuery
{
    /// <summary>The most budgets one page may ask for.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Gets text the keys must contain, ignoring case, or <see langword="null"/> for every budget.</summary>
    public string? Search { get; init; }

    /// <summary>Gets the order of the budgets; by key by default.</summary>
    public BudgetListOrder Order { get; init; }

    /// <summary>Gets how many budgets, in order, come before the page.</summary>
    public int Offset { get; init; }

    /// <summary>Gets the most budgets the page holds, from 1 to <see cref="MaxLimit"/>; 50 by default.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Checks the query.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Order))
        {
            throw new ArgumentOutOfRangeException(nameof(Order), Order, "Unknown order.");
        }

        if (Offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Offset), Offset, $"{nameof(Offset)} is never negative.");
        }

        if (Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"{nameof(Limit)} must be from 1 to {MaxLimit}.");
        }
    }
}
