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
        : base(FormatMessage(budget, estimate))
    {
        Project = budget.Project;
        Key = budget.Key;
        Limit = budget.Limit;
        Spent = budget.Spent;
        Reserved = budget.Reserved;
        Estimate = estimate;
        ResetsAt = budget.WindowEnd;
    }

    /// <summary>Gets the project of the budget that refused.</summary>
    public string? Project { get; }

    /// <summary>Gets the key of the budget that refused, for example <c>user:1234</c> or <c>global</c>.</summary>
    public string? Key { get; }

    /// <summary>Gets the budget's limit in US dollars.</summary>
    public decimal Limit { get; }

    /// <summary>Gets what the budget had spent in its current window, in US dollars.</summary>
    public decimal Spent { get; }

    /// <summary>Gets what other calls in flight held on the budget, in US dollars.</summary>
    public decimal Reserved { get; }

    /// <summary>Gets the cost that did not fit, in US dollars.</summary>
    public decimal Estimate { get; }

    /// <summary>Gets when the budget's window ends and spend resets, or <see langword="null"/> for a budget without period.</summary>
    public DateTimeOffset? ResetsAt { get; }

    private static string FormatMessage(BudgetState budget, decimal estimate)
    {
        ArgumentNullException.ThrowIfNull(budget);
        string resets = budget.WindowEnd is { } end
            ? string.Create(CultureInfo.InvariantCulture, $" It resets at {end.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z.")
            : " It has no period and does not reset by itself.";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Budget '{budget.Key}' of project '{budget.Project}' cannot cover this call: it needs up to ${estimate:0.########} but only ${budget.Remaining:0.########} of ${budget.Limit:0.########} remains (spent ${budget.Spent:0.########}, held by calls in flight ${budget.Reserved:0.########}).{resets}");
    }
}
