using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>What a model costs, in US dollars per token, and how much it can write at most.</summary>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public sealed record ModelPrice
{
    private readonly decimal? _cachedInputCostPerToken;
    private readonly decimal? _reasoningCostPerToken;
    private readonly int? _maxOutputTokens;
    private readonly int? _maxInputTokens;

    /// <summary>Initializes a new instance of the <see cref="ModelPrice"/> class.</summary>
    /// <param name="inputCostPerToken">US dollars per input (prompt) token.</param>
    /// <param name="outputCostPerToken">US dollars per output (completion) token.</param>
    /// <exception cref="ArgumentOutOfRangeException">A price is negative.</exception>
    public ModelPrice(decimal inputCostPerToken, decimal outputCostPerToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputCostPerToken);
        ArgumentOutOfRangeException.ThrowIfNegative(outputCostPerToken);
        InputCostPerToken = inputCostPerToken;
        OutputCostPerToken = outputCostPerToken;
    }

    /// <summary>Gets US dollars per input token that was not read from the provider's prompt cache.</summary>
    public decimal InputCostPerToken { get; }

    /// <summary>Gets US dollars per output token.</summary>
    public decimal OutputCostPerToken { get; }

    /// <summary>Gets US dollars per input token read from the provider's prompt cache, or <see langword="null"/> to charge them as ordinary input.</summary>
    public decimal? CachedInputCostPerToken
    {
        get => _cachedInputCostPerToken;
        init => _cachedInputCostPerToken = NonNegative(value);
    }

    /// <summary>Gets US dollars per reasoning token, or <see langword="null"/> to charge them as ordinary output.</summary>
    public decimal? ReasoningCostPerToken
    {
        get => _reasoningCostPerToken;
        init => _reasoningCostPerToken = NonNegative(value);
    }

    /// <summary>Gets the most output tokens the model writes in one response, or <see langword="null"/> when unknown.</summary>
    public int? MaxOutputTokens
    {
        get => _maxOutputTokens;
        init => _maxOutputTokens = Positive(value);
    }

    /// <summary>Gets the most input tokens the model accepts, or <see langword="null"/> when unknown.</summary>
    public int? MaxInputTokens
    {
        get => _maxInputTokens;
        init => _maxInputTokens = Positive(value);
    }

    /// <summary>Creates a price from US dollars per million tokens, the unit providers publish.</summary>
    /// <param name="inputPerMillion">US dollars per million input tokens.</param>
    /// <param name="outputPerMillion">US dollars per million output tokens.</param>
    /// <returns>The price.</returns>
    public static ModelPrice PerMillionTokens(decimal inputPerMillion, decimal outputPerMillion) =>
        new(inputPerMillion / 1_000_000m, outputPerMillion / 1_000_000m);

    /// <summary>Computes the cost of the token counts a provider reported.</summary>
    /// <param name="usage">The usage. Cached tokens are part of <see cref="UsageDetails.InputTokenCount"/> and reasoning tokens part of <see cref="UsageDetails.OutputTokenCount"/>; each token is charged once.</param>
    /// <returns>The cost in US dollars.</returns>
    public decimal GetCost(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return GetCost(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0, usage.CachedInputTokenCount ?? 0, usage.ReasoningTokenCount ?? 0);
    }

    /// <summary>Computes the cost of token counts.</summary>
    /// <param name="inputTokens">All input tokens, cached ones included.</param>
    /// <param name="outputTokens">All output tokens, reasoning ones included.</param>
    /// <param name="cachedInputTokens">How many of <paramref name="inputTokens"/> were read from the prompt cache.</param>
    /// <param name="reasoningTokens">How many of <paramref name="outputTokens"/> were reasoning.</param>
    /// <returns>The cost in US dollars.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public decimal GetCost(long inputTokens, long outputTokens, long cachedInputTokens = 0, long reasoningTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedInputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(reasoningTokens);

        // Providers report cached and reasoning tokens as parts of the totals; a part larger than its total is
        // a provider bug, and clamping keeps such a report from producing a negative charge.
        long cached = Math.Min(cachedInputTokens, inputTokens);
        long reasoning = Math.Min(reasoningTokens, outputTokens);

        long input = inputTokens - cached;
        long output = outputTokens - reasoning;
        decimal cost = (input * InputCostPerToken) + (output * OutputCostPerToken);
        if (cached > 0)
        {
            cost += cached * (CachedInputCostPerToken ?? InputCostPerToken);
        }

        if (reasoning > 0)
        {
            cost += reasoning * (ReasoningCostPerToken ?? OutputCostPerToken);
        }

        return cost;
    }

    /// <summary>Gets the most a call can cost: its input, and every output token at the higher of the output and reasoning prices.</summary>
    /// <param name="inputTokens">The input tokens.</param>
    /// <param name="outputTokens">The most output tokens the call may produce.</param>
    /// <returns>The cost in US dollars.</returns>
    public decimal GetWorstCaseCost(long inputTokens, long outputTokens) =>
        ReasoningCostPerToken > OutputCostPerToken
            ? GetCost(inputTokens, outputTokens, reasoningTokens: outputTokens)
            : GetCost(inputTokens, outputTokens);

    /// <summary>Gets the higher of the output and reasoning prices: what an output token costs at most.</summary>
    internal decimal MaxOutputCostPerToken => Math.Max(OutputCostPerToken, ReasoningCostPerToken ?? 0m);

    private static decimal? NonNegative(decimal? value, [CallerMemberName] string? name = null) =>
        value < 0 ? throw new ArgumentOutOfRangeException(name, value, "A price cannot be negative.") : value;

    private static int? Positive(int? value, [CallerMemberName] string? name = null) =>
        value <= 0 ? throw new ArgumentOutOfRangeException(name, value, "A token limit must be positive.") : value;
}
