using BudgetChat;
using BudgetChat.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.SemanticKernel;

/// <summary>Adds BudgetChat to a kernel.</summary>
public static class BudgetChatKernelBuilderExtensions
{
    /// <summary>
    /// Registers BudgetChat's services and its kernel integration (<c>AddBudgetChatForKernel</c>), for chat clients
    /// you add yourself with <c>builder.Services.AddChatClient(...).UseBudget()</c>.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="configure">Sets the options of every budgeted chat client built from the kernel's services.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IKernelBuilder AddBudgetChat(this IKernelBuilder builder, Action<BudgetingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddBudgetChatForKernel(configure);
        return builder;
    }

    /// <summary>
    /// Adds a budgeted chat client to the kernel: <paramref name="innerClient"/> behind Semantic Kernel's
    /// function-invocation loop, a <see cref="BudgetToolLoopStopChatClient"/> and a <see cref="BudgetingChatClient"/>,
    /// registered as the kernel's <see cref="IChatClient"/>, with everything <c>UseBudget()</c> and the kernel
    /// integration need.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="innerClient">The client that calls the model.</param>
    /// <param name="configure">Changes this client's copy of the options, after those registered with <c>AddBudgetChat</c>.</param>
    /// <param name="serviceId">The key to register the client under, or <see langword="null"/> for the default registration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <remarks>
    /// Every round trip of a tool loop is reserved and charged on its own; when a budget it is charged to has
    /// nothing left after a round of function calls, the loop ends there (an auto function invocation filter, see
    /// <see cref="KernelBudgetOptions.StopToolLoopWhenRemainingBelow"/>), and when a later round trip is refused all
    /// the same, the loop ends with the conversation so far (see <see cref="BudgetToolLoopStopChatClient"/>). The user
    /// is the one in the call's execution settings, else the one its <see cref="KernelArguments"/> name (see
    /// <see cref="KernelBudgetOptions.UserArgumentNames"/>) for the outermost kernel function, else the one of
    /// <see cref="BudgetChatKernelExtensions.BeginBudgetUserScope"/>, else <see cref="BudgetingChatClientOptions.UserIdResolver"/>.
    /// </remarks>
    public static IKernelBuilder AddBudgetedChatClient(
        this IKernelBuilder builder, IChatClient innerClient, Action<BudgetingChatClientOptions>? configure = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(innerClient);
        return builder.AddBudgetedChatClient(_ => innerClient, configure, serviceId);
    }

    /// <summary>Adds a budgeted chat client to the kernel, creating the model's client from the kernel's services.</summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="innerClientFactory">Creates the client that calls the model.</param>
    /// <param name="configure">Changes this client's copy of the options, after those registered with <c>AddBudgetChat</c>.</param>
    /// <param name="serviceId">The key to register the client under, or <see langword="null"/> for the default registration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <remarks>See <see cref="AddBudgetedChatClient(IKernelBuilder, IChatClient, Action{BudgetingChatClientOptions}?, string?)"/>.</remarks>
    public static IKernelBuilder AddBudgetedChatClient(
        this IKernelBuilder builder, Func<IServiceProvider, IChatClient> innerClientFactory, Action<BudgetingChatClientOptions>? configure = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(innerClientFactory);
        if (serviceId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        }

        builder.Services.AddBudgetChatForKernel();
        ChatClientBuilder pipeline = serviceId is null
            ? builder.Services.AddChatClient(innerClientFactory)
            : builder.Services.AddKeyedChatClient(serviceId, innerClientFactory);

        // SK runs its auto function invocation filters only in its own function-invoking client (experimental API).
#pragma warning disable SKEXP0001
        pipeline.UseKernelFunctionInvocation();
#pragma warning restore SKEXP0001
        pipeline.UseBudgetToolLoopStop().UseBudget(configure);
        return builder;
    }
}
