namespace BudgetChat;

/// <summary>The exception thrown when a call is charged to a key that has no budget.</summary>
public sealed class BudgetNotFoundException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetNotFoundException"/> class.</summary>
    public BudgetNotFoundException()
        : this("No budget exists for the key.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetNotFoundException"/> class.</summary>
    /// <param name="message">The message.</param>
    public BudgetNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetNotFoundException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public BudgetNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetNotFoundException"/> class for a key.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The key without a budget.</param>
    /// <param name="message">The message, or <see langword="null"/> for one naming the key and saying how to create a budget.</param>
    public BudgetNotFoundException(string project, string key, string? message)
        : base(message ?? DefaultMessage(project, key))
    {
        Project = project;
        Key = key;
    }

    /// <summary>Gets the project, when known.</summary>
    public string? Project { get; }

    /// <summary>Gets the key without a budget, when known.</summary>
    public string? Key { get; }

    private static string DefaultMessage(string project, string key) =>
        $"No budget exists for '{key}' in project '{project}'. Create one first with IBudgetStore.SetBudgetAsync (or BudgetManager.CreateBudgetAsync).";
}
