namespace BudgetChat;

/// <summary>The budget keys <see cref="BudgetingChatClient"/> charges.</summary>
public static class BudgetKeys
{
    /// <summary>The key of the global budget of a project (the limit of <see cref="BudgetingChatClientOptions.MaxBudget"/>).</summary>
    public const string Global = "global";

    /// <summary>The prefix of per-user keys.</summary>
    public const string UserPrefix = "user:";

    /// <summary>Gets the key of a user's budget.</summary>
    /// <param name="userId">The user id.</param>
    /// <returns><c>user:</c> followed by the id.</returns>
    public static string ForUser(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return string.Concat(UserPrefix, userId);
    }
}
