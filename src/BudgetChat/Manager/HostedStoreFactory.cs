using System.Reflection;

namespace BudgetChat;

/// <summary>
/// Creates the hosted store of the BudgetChat.Http assembly without the core depending on it: a console app that
/// never uses hosted budgets does not pay for an HTTP stack.
/// </summary>
internal static class HostedStoreFactory
{
    private const string TypeName = "BudgetChat.Http.HostedBudgetStore, BudgetChat.Http";

    public static IBudgetStore Create(Uri apiBase)
    {
        MethodInfo? create = Type.GetType(TypeName, throwOnError: false)?.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, [typeof(Uri)]);
        if (create is null)
        {
            throw new NotSupportedException(
                "Hosted budgets need the BudgetChat.Http package: add a reference to it, or create the store yourself and use new BudgetManager(projectName, store).");
        }

        return (IBudgetStore)create.Invoke(null, [apiBase])!;
    }
}
