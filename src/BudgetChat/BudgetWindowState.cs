namespace BudgetChat;

/// <summary>One limit of a budget and its current window: what it allows, what it has counted, and when it starts again.</summary>
/// <remarks>Instances are immutable and thread-safe; they do not change when the store does.</remarks>
public sealed class BudgetWindowState
{
    /// <summary>Gets the limit.</summary>
    public required BudgetLimit Limit { get; init; }

    /// <summary>Gets the limit's name, for example <c>daily</c> or <c>minutely tokens</c>.</summary>
    public string Name => Limit.Name;

    /// <summary>Gets what the limit counts.</summary>
    public BudgetUnit Unit => Limit.Unit;

    /// <summary>Gets when the current window started.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>Gets when the current window ends and the count starts again, or <see langword="null"/> for a limit without period.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Gets what has been counted in the current window: dollars charged, tokens charged, or requests admitted.</summary>
    public required decimal Spent { get; init; }

    /// <summary>Gets what active reservations hold on this limit (dollars or tokens; requests are counted when admitted and never held).</summary>
    public required decimal Reserved { get; init; }

    /// <summary>Gets what can still be reserved: the limit less what is counted and held, never below zero.</summary>
    public decimal Remaining => Math.Max(0m, Limit.Amount - Spent - Reserved);

    /// <summary>
    /// Gets when the limit runs out if the window goes on at the rate it has counted so far: the current time when it
    /// has run out already, and <see langword="null"/> when it will not before the window ends (or nothing has been counted yet).
    /// </summary>
    public DateTimeOffset? RunsOutAt { get; init; }

    /// <summary>
    /// Gets the share of the limit spent or held, <c>(Spent + Reserved) / Limit</c>: 1 or more once it is used up; 0 for a
    /// limit of <see cref="Stores.BudgetAmounts.Max"/> or more (none to speak of), and 1 for a limit of 0 that anything used.
    /// </summary>
    public decimal Used => UsedOf(Limit.Amount, Spent, Reserved);

    internal static decimal UsedOf(decimal limit, decimal spent, decimal reserved) =>
        limit <= 0m ? (spent + reserved > 0m ? 1m : 0m)
        : limit >= Stores.BudgetAmounts.Max ? 0m
        : (spent + reserved) / limit;

    /// <summary>
    /// Forecasts when a limit runs out at the rate its window has counted so far (<see cref="RunsOutAt"/>).
    /// </summary>
    /// <param name="amount">The limit.</param>
    /// <param name="spent">What the window has counted.</param>
    /// <param name="start">When the window started.</param>
    /// <param name="end">When it ends, or <see langword="null"/> for never.</param>
    /// <param name="now">The current time.</param>
    /// <returns>
    /// <paramref name="now"/> when the limit is used up; the instant the rate reaches it, when that is before
    /// <paramref name="end"/>; otherwise <see langword="null"/>.
    /// </returns>
    public static DateTimeOffset? Forecast(decimal amount, decimal spent, DateTimeOffset start, DateTimeOffset? end, DateTimeOffset now)
    {
        if (spent >= amount)
        {
            return now;
        }

        long elapsed = (now - start).Ticks;
        if (spent <= 0m || elapsed <= 0)
        {
            return null;
        }

        // An estimate, so double: (amount - spent) * elapsed can overflow decimal for long windows.
        double ticks = (double)(amount - spent) * elapsed / (double)spent;
        if (ticks >= (DateTimeOffset.MaxValue - now).Ticks)
        {
            return null;
        }

        DateTimeOffset at = now.AddTicks((long)Math.Ceiling(ticks));
        return end is { } e && at >= e ? null : at;
    }
}
