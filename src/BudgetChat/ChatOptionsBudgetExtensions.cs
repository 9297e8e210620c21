using BudgetChat;

namespace Microsoft.Extensions.AI;

/// <summary>Sets and reads the user a call is charged to.</summary>
public static class ChatOptionsBudgetExtensions
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key under which <see cref="WithBudgetUser"/> stores the user id.</summary>
    public const string UserIdKey = "budgetchat.user";

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key also read for the user id: the one Semantic Kernel's
    /// <c>OpenAIPromptExecutionSettings.User</c> produces.
    /// </summary>
    public const string CompatibleUserIdKey = "user";

    /// <summary>Sets the user whose budget a call is charged to.</summary>
    /// <param name="options">The options to change.</param>
    /// <param name="userId">The user id.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithBudgetUser(this ChatOptions options, string userId)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        (options.AdditionalProperties ??= [])[UserIdKey] = userId;
        return options;
    }

    /// <summary>Gets the user a call is charged to, from <see cref="UserIdKey"/> or else <see cref="CompatibleUserIdKey"/>.</summary>
    /// <param name="options">The options, or <see langword="null"/>.</param>
    /// <returns>The user id, or <see langword="null"/> when the options carry none.</returns>
    public static string? GetBudgetUser(this ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } properties)
        {
            return null;
        }

        return properties.TryGetValue(UserIdKey, out object? value) && value is string { Length: > 0 } id ? id
            : properties.TryGetValue(CompatibleUserIdKey, out value) && value is string { Length: > 0 } compatible ? compatible
            : null;
    }
}
