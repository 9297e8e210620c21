using System.Globalization;

namespace BudgetChat;

/// <summary>The exception thrown when a call does not fit in a budget; the model was not called.</summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    public BudgetExceededException()
        : this("The call does not fit in the budget.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    public BudgetExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public BudgetExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class for a budget that refused a call.</summary>
    /// <param name="budget">The budget that refused, as it was then.</param>
    /// <param name="estimate">The cost that did not fit, in US dollars (the worst case in reservation mode).</param>
    public BudgetExceededException(BudgetState budget, decimal estimate)
        : this(budget, budget?.Windows[0]!, estimate)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class for a limit of a budget that refused a call.</summary>
    /// <param name="budget">The budget that refused, as it was then.</param>
    /// <param name="window">The limit that refused, one of <see cref="BudgetState.Windows"/>.</param>
    /// <param name="estimate">What did not fit, in the limit's unit: the worst-case cost, the worst-case tokens, or one request.</param>
    public BudgetExceededException(BudgetState budget, BudgetWindowState window, decimal estimate)
        : base(FormatMessage(budget, window, estimate))
    {
        Project = budget.Project;
        Key = budget.Key;
        Budget = budget;
        Window = window;
        Limit = window.Limit.Amount;
        Spent = window.Spent;
        Reserved = window.Reserved;
        Estimate = estimate;
        ResetsAt = window.End;
        RunsOutAt = budget.RunsOutAt;
    }

    /// <summary>Gets the project of the budget that refused.</summary>
    public string? Project { get; }

    /// <summary>Gets the key of the budget that refused, for example <c>user:1234</c> or <c>global</c>.</summary>
    public string? Key { get; }

    /// <summary>
    /// Gets the budget that refused, as it was then (every limit and window), or <see langword="null"/> for an exception
    /// made from a message.
    /// </summary>
    public BudgetState? Budget { get; }

    /// <summary>
    /// Gets the limit that refused and its window, or <see langword="null"/> for an exception made from a message: its
    /// name (for example <c>daily</c> or <c>per-minute tokens</c>), unit, and when it starts again.
    /// </summary>
    public BudgetWindowState? Window { get; }

    /// <summary>Gets the refusing limit's name, for example <c>daily</c>, or <see langword="null"/>.</summary>
    public string? WindowName => Window?.Name;

    /// <summary>Gets what the refusing limit counts; <see cref="Limit"/>, <see cref="Spent"/>, <see cref="Reserved"/> and <see cref="Estimate"/> are in this unit.</summary>
    public BudgetUnit Unit => Window?.Unit ?? BudgetUnit.Dollars;

    /// <summary>
    /// Gets when the budget's main limit runs out at the rate its window has spent so far, or <see langword="null"/> when
    /// it will not before the window ends (see <see cref="BudgetState.RunsOutAt"/>).
    /// </summary>
    public DateTimeOffset? RunsOutAt { get; }

    /// <summary>Gets the refusing limit's amount, in <see cref="Unit"/> (US dollars for the main limit).</summary>
    public decimal Limit { get; }

    /// <summary>Gets what the refusing limit had counted in its current window, in <see cref="Unit"/>.</summary>
    public decimal Spent { get; }

    /// <summary>Gets what other calls in flight held on the refusing limit, in <see cref="Unit"/>.</summary>
    public decimal Reserved { get; }

    /// <summary>Gets what did not fit, in <see cref="Unit"/>: the cost (the worst case in reservation mode), the tokens, or one request.</summary>
    public decimal Estimate { get; }

    /// <summary>Gets when the budget's window ends and spend resets, or <see langword="null"/> for a budget without period.</summary>
    public DateTimeOffset? ResetsAt { get; }

    private static string FormatMessage(BudgetState budget, BudgetWindowState window, decimal estimate)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(window);
        string resets = window.End is { } end
            ? string.Create(CultureInfo.InvariantCulture, $" It resets at {end.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z.")
            : " It has no period and does not reset by itself.";
        string limit = ReferenceEquals(window, budget.Windows[0]) && budget.Windows.Count == 1 ? string.Empty : $" (its {window.Name} limit)";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Budget '{budget.Key}'{limit} of project '{budget.Project}' cannot cover this call: it needs up to {Amount(window.Unit, estimate)} but only {Amount(window.Unit, window.Remaining)} of {Amount(window.Unit, window.Limit.Amount)} remains ({(window.Unit == BudgetUnit.Requests ? "admitted" : "spent")} {Amount(window.Unit, window.Spent)}, held by calls in flight {Amount(window.Unit, window.Reserved)}).{resets}");
    }

    internal static string Amount(BudgetUnit unit, decimal amount) => unit switch
    {
        BudgetUnit.Dollars => string.Create(CultureInfo.InvariantCulture, $"${amount:0.########}"),
        BudgetUnit.Tokens => string.Create(CultureInfo.InvariantCulture, $"{amount:#,0} tokens"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{amount:#,0} requests"),
    };
}
