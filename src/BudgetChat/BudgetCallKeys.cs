using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>
/// Who pays for a call, by the rules of <see cref="BudgetingChatClientOptions"/>: the user (named by the call, else by
/// <see cref="BudgetingChatClientOptions.UserIdResolver"/>), the global budget when there is one, and the keys of
/// <see cref="BudgetingChatClientOptions.AdditionalKeysResolver"/>. Shared by the middleware and the integrations that
/// look budgets up ahead of it (the Semantic Kernel tool-loop filter, say), so both name the same keys.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
public static class BudgetCallKeys
{
    /// <summary>Gets the user a call is charged to: <paramref name="namedUser"/>, else the resolver's answer (blank counts as none).</summary>
    /// <param name="namedUser">The user the call names (<see cref="ChatOptionsBudgetExtensions.GetBudgetUser"/>), or <see langword="null"/>.</param>
    /// <param name="options">The options with the user resolver.</param>
    /// <param name="messages">The call's messages.</param>
    /// <param name="chatOptions">The call's options.</param>
    /// <returns>The user id, or <see langword="null"/> for none.</returns>
    public static string? ResolveUser(string? namedUser, BudgetingChatClientOptions options, IEnumerable<ChatMessage> messages, ChatOptions? chatOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (namedUser is not null || options.UserIdResolver is not { } resolveUser)
        {
            return namedUser;
        }

        string? resolved = resolveUser(new BudgetCallContext(messages, chatOptions, null));
        return string.IsNullOrWhiteSpace(resolved) ? null : resolved;
    }

    /// <summary>Gets the keys a call is charged to, in order: user, global, then the resolver's keys without repeats.</summary>
    /// <param name="userId">The user, from <see cref="ResolveUser"/>.</param>
    /// <param name="hasGlobalBudget">Whether the client has a global budget.</param>
    /// <param name="options">The options with the keys resolver.</param>
    /// <param name="messages">The call's messages.</param>
    /// <param name="chatOptions">The call's options.</param>
    /// <returns>The keys; empty when there is no user, no global budget and no resolver key.</returns>
    /// <exception cref="InvalidOperationException">The resolver returned a blank key (the middleware refuses such a call).</exception>
    public static string[] Resolve(string? userId, bool hasGlobalBudget, BudgetingChatClientOptions options, IEnumerable<ChatMessage> messages, ChatOptions? chatOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        IEnumerable<string>? extra = options.AdditionalKeysResolver?.Invoke(new BudgetCallContext(messages, chatOptions, userId));
        if (extra is null)
        {
            return (userId, hasGlobalBudget) switch
            {
                (null, false) => [],
                (null, true) => [BudgetKeys.Global],
                (_, false) => [BudgetKeys.ForUser(userId)],
                _ => [BudgetKeys.ForUser(userId), BudgetKeys.Global],
            };
        }

        var keys = new List<string>(4);
        if (userId is not null)
        {
            keys.Add(BudgetKeys.ForUser(userId));
        }

        if (hasGlobalBudget)
        {
            keys.Add(BudgetKeys.Global);
        }

        foreach (string key in extra)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new InvalidOperationException("BudgetingChatClientOptions.AdditionalKeysResolver returned an empty budget key.");
            }

            if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }

        return [.. keys];
    }
}
