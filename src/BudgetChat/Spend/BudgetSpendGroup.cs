namespace BudgetChat;

/// <summary>The totals of the spend records that share a value of a <see cref="BudgetSpendGrouping"/>.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record BudgetSpendGroup
{
    /// <summary>Gets the group's value (a user, a model, a key, a day, an hour or an outcome), or <see langword="null"/> for records without one and for <see cref="BudgetSpendGrouping.None"/>.</summary>
    public string? Value { get; init; }

    /// <summary>Gets the number of calls (records that are not resets or adjustments).</summary>
    public long Calls { get; init; }

    /// <summary>Gets how many of those calls were refused.</summary>
    public long Refused { get; init; }

    /// <summary>Gets the cost charged, in US dollars.</summary>
    public decimal Cost { get; init; }

    /// <summary>Gets the tokens counted.</summary>
    public long Tokens { get; init; }

    /// <summary>Gets the input tokens reported.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output tokens reported.</summary>
    public long OutputTokens { get; init; }
}
