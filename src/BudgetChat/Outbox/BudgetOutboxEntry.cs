using BudgetChat.Stores;

namespace BudgetChat;

/// <summary>
/// A cost that was incurred but could not be recorded: a settle or a charge that a <see cref="BudgetOutbox"/> keeps and
/// sends again, with the same id, until the store takes it.
/// </summary>
/// <remarks>This type is immutable and thread-safe.</remarks>
public sealed class BudgetOutboxEntry
{
    /// <summary>Initializes a new instance of the <see cref="BudgetOutboxEntry"/> class.</summary>
    /// <param name="operation">What to ask of the store.</param>
    /// <param name="project">The project of the budgets.</param>
    /// <param name="id">The reservation's id (settle) or the charge's id (charge): the idempotency key, so that a retry is never charged twice.</param>
    /// <param name="keys">The keys charged: those of the charge, or of the reservation (charged instead when the store no longer knows it).</param>
    /// <param name="cost">The actual cost, in US dollars.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="queuedAt">When the first attempt failed.</param>
    /// <exception cref="ArgumentException">An argument is invalid (as <see cref="BudgetStoreArguments.Charge"/> checks them, and no keys).</exception>
    public BudgetOutboxEntry(BudgetOutboxOperation operation, string project, string id, IReadOnlyList<string> keys, decimal cost, string? model, DateTimeOffset queuedAt)
        : this(operation, project, id, keys, cost, model, queuedAt, tokens: 0)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetOutboxEntry"/> class.</summary>
    /// <param name="operation">What to ask of the store.</param>
    /// <param name="project">The project of the budgets.</param>
    /// <param name="id">The reservation's id (settle) or the charge's id (charge): the idempotency key, so that a retry is never charged twice.</param>
    /// <param name="keys">The keys charged: those of the charge, or of the reservation (charged instead when the store no longer knows it).</param>
    /// <param name="cost">The actual cost, in US dollars.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="queuedAt">When the first attempt failed.</param>
    /// <param name="tokens">The tokens the call used, for token limits.</param>
    /// <exception cref="ArgumentException">An argument is invalid (as <see cref="BudgetStoreArguments.Charge"/> checks them, and no keys).</exception>
    public BudgetOutboxEntry(BudgetOutboxOperation operation, string project, string id, IReadOnlyList<string> keys, decimal cost, string? model, DateTimeOffset queuedAt, long tokens)
    {
        if (!Enum.IsDefined(operation))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "The operation is not a BudgetOutboxOperation.");
        }

        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfZero(keys.Count, nameof(keys));

        // The checks of a charge, which this entry may become: the outbox keeps only what a store can take.
        BudgetStoreArguments.Charge(project, keys, new BudgetUsage(cost, tokens, model), id);
        Operation = operation;
        Project = project;
        Id = id;
        Keys = [.. keys];
        Cost = cost;
        Model = model;
        Tokens = tokens;
        QueuedAt = queuedAt;
    }

    /// <summary>Gets what to ask of the store.</summary>
    public BudgetOutboxOperation Operation { get; }

    /// <summary>Gets the project of the budgets.</summary>
    public string Project { get; }

    /// <summary>Gets the id the cost is recorded under: the same on every attempt.</summary>
    public string Id { get; }

    /// <summary>Gets the keys the cost is charged to.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Gets the actual cost, in US dollars.</summary>
    public decimal Cost { get; }

    /// <summary>Gets the model the cost is recorded against, or <see langword="null"/>.</summary>
    public string? Model { get; }

    /// <summary>Gets the tokens the call used, for token limits.</summary>
    public long Tokens { get; }

    /// <summary>Gets what is settled or charged: the cost, the tokens and the model.</summary>
    public BudgetUsage Usage => new(Cost, Tokens, Model);

    /// <summary>Gets when the first attempt failed.</summary>
    public DateTimeOffset QueuedAt { get; }
}
