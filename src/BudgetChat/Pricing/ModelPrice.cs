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

    // The four prices in whole units of 10^-scale dollars, kept in step with them, for costing calls in integers.
    private WholeUnits _units;

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
        _units = WholeUnits.Of(this);
    }

    /// <summary>Gets US dollars per input token that was not read from the provider's prompt cache.</summary>
    public decimal InputCostPerToken { get; }

    /// <summary>Gets US dollars per output token.</summary>
    public decimal OutputCostPerToken { get; }

    /// <summary>Gets US dollars per input token read from the provider's prompt cache, or <see langword="null"/> to charge them as ordinary input.</summary>
    public decimal? CachedInputCostPerToken
    {
        get => _cachedInputCostPerToken;
        init
        {
            _cachedInputCostPerToken = NonNegative(value);
            _units = WholeUnits.Of(this);
        }
    }

    /// <summary>Gets US dollars per reasoning token, or <see langword="null"/> to charge them as ordinary output.</summary>
    public decimal? ReasoningCostPerToken
    {
        get => _reasoningCostPerToken;
        init
        {
            _reasoningCostPerToken = NonNegative(value);
            _units = WholeUnits.Of(this);
        }
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
        if (_units.TryGetCost(input, output, cached, reasoning, out decimal exact))
        {
            return exact;
        }

        // The same sum in decimal arithmetic, for counts or prices too large for the integer one.
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
    internal decimal GetWorstCaseCost(long inputTokens, long outputTokens) =>
        ReasoningCostPerToken > OutputCostPerToken
            ? GetCost(inputTokens, outputTokens, reasoningTokens: outputTokens)
            : GetCost(inputTokens, outputTokens);

    /// <summary>Gets the higher of the output and reasoning prices: what an output token costs at most.</summary>
    internal decimal MaxOutputCostPerToken => Math.Max(OutputCostPerToken, ReasoningCostPerToken ?? 0m);

    /// <inheritdoc/>
    public bool Equals(ModelPrice? other) =>
        other is not null
        && InputCostPerToken == other.InputCostPerToken
        && OutputCostPerToken == other.OutputCostPerToken
        && CachedInputCostPerToken == other.CachedInputCostPerToken
        && ReasoningCostPerToken == other.ReasoningCostPerToken
        && MaxOutputTokens == other.MaxOutputTokens
        && MaxInputTokens == other.MaxInputTokens;

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(InputCostPerToken, OutputCostPerToken, CachedInputCostPerToken, ReasoningCostPerToken, MaxOutputTokens, MaxInputTokens);

    private static decimal? NonNegative(decimal? value, [CallerMemberName] string? name = null) =>
        value < 0 ? throw new ArgumentOutOfRangeException(name, value, "A price cannot be negative.") : value;

    private static int? Positive(int? value, [CallerMemberName] string? name = null) =>
        value <= 0 ? throw new ArgumentOutOfRangeException(name, value, "A token limit must be positive.") : value;

    /// <summary>
    /// The prices as whole numbers of units of 10^-scale dollars, each with the scale its decimal has. Decimal
    /// arithmetic is slow enough to matter on every call; these give the same sum, down to the scale of the result, in
    /// 64- and 128-bit integers, for prices of up to 32 bits of units (all but a few of LiteLLM's).
    /// </summary>
    private readonly struct WholeUnits
    {
        private static readonly ulong[] PowersOfTen = [.. Enumerable.Range(0, 20).Select(n => (ulong)Math.Pow(10, n))];

        private readonly ulong _input;
        private readonly ulong _output;
        private readonly ulong _cached;
        private readonly ulong _reasoning;
        private readonly byte _inputScale;
        private readonly byte _outputScale;
        private readonly byte _cachedScale;
        private readonly byte _reasoningScale;
        private readonly bool _exact;

        private WholeUnits(decimal input, decimal output, decimal cached, decimal reasoning)
        {
            _exact = TryGetUnits(input, out _input, out _inputScale)
                & TryGetUnits(output, out _output, out _outputScale)
                & TryGetUnits(cached, out _cached, out _cachedScale)
                & TryGetUnits(reasoning, out _reasoning, out _reasoningScale);

            // Every price must also fit at the largest scale a sum can take.
            int scale = Math.Max(Math.Max(_inputScale, _outputScale), Math.Max(_cachedScale, _reasoningScale));
            _exact = _exact
                && Fits(_input, scale - _inputScale) && Fits(_output, scale - _outputScale)
                && Fits(_cached, scale - _cachedScale) && Fits(_reasoning, scale - _reasoningScale);
        }

        public static WholeUnits Of(ModelPrice price) => new(
            price.InputCostPerToken,
            price.OutputCostPerToken,
            price.CachedInputCostPerToken ?? price.InputCostPerToken,
            price.ReasoningCostPerToken ?? price.OutputCostPerToken);

        // The token counts are the parts of a call, each charged at its own price; cached and reasoning are left out
        // of the sum (and its scale) when zero, as the decimal sum leaves them out.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryGetCost(long input, long output, long cached, long reasoning, out decimal cost)
        {
            // Counts below 2^32 keep each product below 2^96 and the sum of four well inside 128 bits (and, with prices
            // below 2^32 units, match decimal multiplication in the scale of a zero product too).
            if (!_exact || (ulong)(input | output | cached | reasoning) > uint.MaxValue)
            {
                cost = 0m;
                return false;
            }

            int scale = Math.Max(_inputScale, _outputScale);
            if (cached > 0)
            {
                scale = Math.Max(scale, _cachedScale);
            }

            if (reasoning > 0)
            {
                scale = Math.Max(scale, _reasoningScale);
            }

            UInt128 sum = Math.BigMul((ulong)input, _input * PowersOfTen[scale - _inputScale])
                + Math.BigMul((ulong)output, _output * PowersOfTen[scale - _outputScale]);
            if (cached > 0)
            {
                sum += Math.BigMul((ulong)cached, _cached * PowersOfTen[scale - _cachedScale]);
            }

            if (reasoning > 0)
            {
                sum += Math.BigMul((ulong)reasoning, _reasoning * PowersOfTen[scale - _reasoningScale]);
            }

            if ((sum >> 96) != UInt128.Zero)
            {
                cost = 0m;
                return false;
            }

            ulong low = (ulong)sum;
            cost = new decimal((int)low, (int)(low >> 32), (int)(ulong)(sum >> 64), isNegative: false, (byte)scale);
            return true;
        }

        private static bool TryGetUnits(decimal price, out ulong units, out byte scale)
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(price, bits);
            units = (uint)bits[0];
            scale = price.Scale;

            // Decimal multiplication keeps the price's scale in a zero product only when both sides fit in 32 bits,
            // so wider prices (rare: a few published with float noise) are left to it.
            return bits[1] == 0 && bits[2] == 0;
        }

        private static bool Fits(ulong units, int powerOfTen) =>
            powerOfTen < PowersOfTen.Length && Math.BigMul(units, PowersOfTen[powerOfTen], out _) == 0;
    }
}
