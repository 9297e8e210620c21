using BudgetChat.Stores;

namespace BudgetChat;

/// <summary>
/// What a call holds or is charged: its cost in US dollars, its tokens (input and output together) and the model it is
/// counted against. A <see cref="decimal"/> converts to a usage of that cost alone.
/// </summary>
/// <remarks>
/// Dollar limits count <see cref="Cost"/>, token limits <see cref="Tokens"/>, and per-model caps apply when
/// <see cref="Model"/> matches them. Instances are immutable and thread-safe.
/// </remarks>
public readonly record struct BudgetUsage
{
    /// <summary>The most tokens one usage may carry.</summary>
    public const long MaxTokens = 1_000_000_000_000;

    /// <summary>Initializes a new instance of the <see cref="BudgetUsage"/> struct.</summary>
    /// <param name="cost">The cost in US dollars, from 0 to <see cref="BudgetAmounts.Max"/>.</param>
    /// <param name="tokens">The input and output tokens, from 0 to <see cref="MaxTokens"/>.</param>
    /// <param name="model">The model, or <see langword="null"/> when it is not known (per-model caps then do not apply).</param>
    /// <remarks>The values are checked by the store the usage is given to (<see cref="BudgetStoreArguments"/>), which names the argument.</remarks>
    public BudgetUsage(decimal cost, long tokens = 0, string? model = null)
    {
        Cost = cost;
        Tokens = tokens;
        Model = model;
    }

    /// <summary>Gets the cost in US dollars.</summary>
    public decimal Cost { get; }

    /// <summary>Gets the input and output tokens.</summary>
    public long Tokens { get; }

    /// <summary>Gets the model, or <see langword="null"/> when it is not known.</summary>
    public string? Model { get; }

    /// <summary>
    /// Gets a value indicating, for a reservation, that it is held even where a limit would refuse it, and the refusal
    /// reported instead (<see cref="BudgetEnforcement.Observe"/> for one call). Settles and charges ignore it.
    /// </summary>
    public bool Observe { get; init; }

    /// <summary>
    /// Gets what the caller knows of the call for the spend ledger (user, model asked for, token detail, outcome, duration,
    /// trace), on a settle or charge: a store that keeps a ledger (<see cref="IBudgetSpendLog"/>) writes it with the charge,
    /// completed with the id, time, keys, cost, tokens and model. <see langword="null"/> records the charge with what the
    /// store knows alone. Reservations ignore it.
    /// </summary>
    public BudgetSpendRecord? Record { get; init; }

    /// <summary>Converts a cost to a usage of that cost alone.</summary>
    /// <param name="cost">The cost in US dollars.</param>
    public static implicit operator BudgetUsage(decimal cost) => new(cost);

    /// <summary>Creates a usage of a cost alone.</summary>
    /// <param name="cost">The cost in US dollars.</param>
    /// <returns>The usage.</returns>
    public static BudgetUsage FromDecimal(decimal cost) => new(cost);

    /// <summary>Gets what a limit of <paramref name="unit"/> counts of this usage: the cost, the tokens, or one request.</summary>
    /// <param name="unit">The limit's unit.</param>
    /// <returns>The amount.</returns>
    public decimal In(BudgetUnit unit) => unit switch
    {
        BudgetUnit.Dollars => Cost,
        BudgetUnit.Tokens => Tokens,
        _ => 1m,
    };
}
