using BudgetChat.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.SemanticKernel;

/// <summary>The ambient budget user of a kernel: the user its budgeted chat calls are charged to when their options name none.</summary>
public static class BudgetChatKernelExtensions
{
    /// <summary>
    /// Makes <paramref name="userId"/> the budget user of the current asynchronous flow until the result is disposed,
    /// for budgeted calls that do not go through a kernel function (an agent, or a chat service called directly).
    /// </summary>
    /// <param name="kernel">A kernel built from services with BudgetChat's kernel integration (<c>AddBudgetChat</c> or <c>AddBudgetedChatClient</c>).</param>
    /// <param name="userId">The user id.</param>
    /// <returns>Ends the scope when disposed.</returns>
    /// <remarks>
    /// The outermost scope wins: while one is open (a kernel function's invocation opens one, say), a nested one changes
    /// nothing, so a model cannot move a conversation's spend to another user through a tool argument. The user flows
    /// with the <see cref="ExecutionContext"/>, like an <see cref="AsyncLocal{T}"/>.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The kernel's services have no BudgetChat kernel integration.</exception>
    public static IDisposable BeginBudgetUserScope(this Kernel kernel, string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return GetAccessor(kernel).BeginScope(userId);
    }

    /// <summary>Gets the ambient budget user of the current asynchronous flow, or <see langword="null"/> when there is none.</summary>
    /// <param name="kernel">A kernel built from services with BudgetChat's kernel integration.</param>
    /// <returns>The user id, or <see langword="null"/>.</returns>
    /// <exception cref="InvalidOperationException">The kernel's services have no BudgetChat kernel integration.</exception>
    public static string? GetBudgetUser(this Kernel kernel) => GetAccessor(kernel).UserId;

    private static KernelBudgetUserAccessor GetAccessor(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.Services.GetService<KernelBudgetUserAccessor>() ?? throw new InvalidOperationException(
            "The kernel's services have no BudgetChat kernel integration. Register it with kernelBuilder.AddBudgetChat(), kernelBuilder.AddBudgetedChatClient(...) or services.AddBudgetChatForKernel().");
    }
}
