using System.ComponentModel.DataAnnotations;

namespace BudgetChat;

/// <summary>Options of <see cref="BudgetOutbox"/>.</summary>
/// <remarks>
/// Bound from configuration with <c>services.Configure&lt;BudgetOutboxOptions&gt;(configuration.GetSection("BudgetChat:Outbox"))</c>
/// and validated by their data annotations when a container first uses them. Not thread-safe while being configured.
/// </remarks>
public sealed class BudgetOutboxOptions : IValidatableObject
{
    /// <summary>
    /// Gets or sets how many entries the outbox keeps at most. Defaults to 100,000. When it is full, a cost that
    /// cannot be recorded is lost: it is logged as an error and counted by the metric <c>budgetchat.outbox.dropped</c>.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>Gets or sets the time before the first retry, doubled after each retry that fails, up to <see cref="MaxRetryDelay"/>. Defaults to one second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest time between retries. Defaults to 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long the host's shutdown waits for the outbox to empty. Defaults to 10 seconds. What is still
    /// there then stays in the <see cref="IBudgetOutboxStorage"/> for the next start, if there is one, and is otherwise
    /// logged as lost.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the options as a container does.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate() => OptionsValidation.ThrowIfFailed(new BudgetOutboxOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (MaxRetryDelay < RetryDelay)
        {
            yield return new ValidationResult(
                $"{nameof(BudgetOutboxOptions)}.{nameof(MaxRetryDelay)} ({MaxRetryDelay}) must be at least {nameof(RetryDelay)} ({RetryDelay}).", [nameof(MaxRetryDelay)]);
        }
    }
}
