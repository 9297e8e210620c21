namespace BudgetChat;

/// <summary>
/// One entry of the spend ledger: a call that was charged, estimated, refused or released, or a change of a budget's
/// spend (a reset, a moved window).
/// </summary>
/// <remarks>
/// <para>
/// The store writes the record of a settle or charge in the same transaction as the charge, from what the caller passed
/// in <see cref="BudgetUsage.Record"/> completed with what the store knows (<see cref="Id"/>, <see cref="Time"/>,
/// <see cref="Keys"/>, <see cref="Cost"/>, <see cref="Tokens"/>, <see cref="Model"/>, <see cref="Held"/>,
/// <see cref="Sequence"/>). Records of refused and released calls, which change no spend, are appended with
/// <see cref="IBudgetSpendLog.AppendSpendAsync"/>.
/// </para>
/// <para>
/// The charged records of a budget's window add up to its spend: from the window's start, or from the last
/// <see cref="BudgetSpendOutcome.Reset"/> or <see cref="BudgetSpendOutcome.Adjusted"/> record of its key after that
/// (whose <see cref="SpentAfter"/> the sum starts from), the costs of the records that name the key sum to
/// <see cref="BudgetState.Spent"/>. <see cref="BudgetSpendVerifier"/> checks it.
/// </para>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed record BudgetSpendRecord
{
    /// <summary>Gets the record's position in its project's ledger, assigned by the store: later records have larger numbers.</summary>
    public long Sequence { get; init; }

    /// <summary>Gets the reservation or charge id of the call, or <see langword="null"/> for a change of spend that is no call.</summary>
    public string? Id { get; init; }

    /// <summary>Gets when the call ended (or was refused), in the store's clock.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>Gets the budget keys the call was charged to, held on, or refused by.</summary>
    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>Gets the user the call was made for, or <see langword="null"/> when none was known.</summary>
    public string? User { get; init; }

    /// <summary>Gets the model the caller asked for, or <see langword="null"/> when not known.</summary>
    public string? RequestedModel { get; init; }

    /// <summary>Gets the model that answered (or would have), or <see langword="null"/> when not known.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the input tokens, as reported by the provider (or estimated), or <see langword="null"/> when not known.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Gets the input tokens read from the provider's prompt cache, or <see langword="null"/> when not reported.</summary>
    public long? CachedInputTokens { get; init; }

    /// <summary>Gets the output tokens, or <see langword="null"/> when not known.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Gets the output tokens spent on reasoning, or <see langword="null"/> when not reported.</summary>
    public long? ReasoningTokens { get; init; }

    /// <summary>Gets the tokens the budget's token limits counted (input and output together).</summary>
    public long Tokens { get; init; }

    /// <summary>Gets the cost in US dollars charged to every key: 0 for refused and released calls and for changes of spend.</summary>
    public decimal Cost { get; init; }

    /// <summary>Gets what the call's reservation held in US dollars (its worst case), 0 when nothing was held.</summary>
    public decimal Held { get; init; }

    /// <summary>Gets how the call ended.</summary>
    public BudgetSpendOutcome Outcome { get; init; }

    /// <summary>Gets what else happened to the call: output reduced, model downgraded, a refusal observed.</summary>
    public BudgetSpendMarks Marks { get; init; }

    /// <summary>Gets why: the reason an estimate was charged, or the refusal in words; <see langword="null"/> when there is nothing to add.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets the key whose budget refused the call (or would have, in observe mode).</summary>
    public string? RefusedKey { get; init; }

    /// <summary>Gets the name of the limit that refused the call (or would have), for example <c>daily</c>.</summary>
    public string? RefusedWindow { get; init; }

    /// <summary>Gets the <c>MaxOutputTokens</c> sent to the model when it was lowered to fit (<see cref="BudgetSpendMarks.Reduced"/>).</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Gets how long the call took, from admission to its end, or <see langword="null"/> when not measured.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Gets the W3C trace id of the call's <see cref="System.Diagnostics.Activity"/>, or <see langword="null"/> when none was current.</summary>
    public string? TraceId { get; init; }

    /// <summary>
    /// Gets, for a <see cref="BudgetSpendOutcome.Reset"/> or <see cref="BudgetSpendOutcome.Adjusted"/> record, the budget's
    /// spend right after it; <see langword="null"/> for the records of calls.
    /// </summary>
    public decimal? SpentAfter { get; init; }

    /// <summary>Gets a value indicating whether the record is of a call (not a reset or an adjustment).</summary>
    public bool IsCall => Outcome is not (BudgetSpendOutcome.Reset or BudgetSpendOutcome.Adjusted);
}
