namespace BudgetChat.Server.Endpoints;

/// <summary>
/// Maps budget keys to the user names of LiteLLM's <c>user_dict</c> and back, as <c>user_cost.json</c> does: key
/// <c>user:X</c> is user <c>X</c>; any other key <c>K</c> (and a user whose name would read as one) is <c>budgetchat:K</c>.
/// </summary>
internal static class LiteLlmNames
{
    private const string Prefix = "budgetchat:";

    public static string ToName(string key)
    {
        if (key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal))
        {
            string user = key[BudgetKeys.UserPrefix.Length..];
            if (!string.IsNullOrWhiteSpace(user) && !user.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return user;
            }
        }

        return Prefix + key;
    }

    public static string ToKey(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : BudgetKeys.UserPrefix + name;
}
