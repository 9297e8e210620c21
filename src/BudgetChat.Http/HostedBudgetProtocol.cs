namespace BudgetChat.Http;

/// <summary>How a <see cref="HostedBudgetStore"/> talks to its server.</summary>
public enum HostedBudgetProtocol
{
    /// <summary>
    /// BudgetChat's budget service API (<c>/v1/...</c>): reservations are atomic across keys and held on the server,
    /// settle and release are idempotent, so every app instance shares one exact budget. The default.
    /// </summary>
    BudgetService = 0,

    /// <summary>
    /// LiteLLM's hosted budget API (<c>/get_budget</c> and <c>/set_budget</c> only), for servers that have nothing
    /// else. Not atomic: every change reads the whole project and writes it back, reservations are held only in
    /// this process, and two instances changing the project at once can overwrite each other's charges.
    /// </summary>
    LiteLlm,
}
