using BudgetChat.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="BudgetToolLoopStopChatClient"/> to a chat pipeline.</summary>
public static class BudgetToolLoopStopChatClientBuilderExtensions
{
    /// <summary>
    /// Makes a tool loop end with a final message instead of a <see cref="BudgetChat.BudgetExceededException"/> when the
    /// budget refuses one of its later round trips. Call it after the function-invocation middleware and before
    /// <c>UseBudget()</c>.
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="stopMessage">
    /// The text of the final message, or <see langword="null"/> for <see cref="KernelBudgetOptions.ToolLoopStopMessage"/>
    /// from the service provider (else <see cref="KernelBudgetOptions.DefaultToolLoopStopMessage"/>).
    /// </param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="stopMessage"/> is empty.</exception>
    public static ChatClientBuilder UseBudgetToolLoopStop(this ChatClientBuilder builder, string? stopMessage = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (stopMessage is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(stopMessage);
        }

        return builder.Use((innerClient, services) => new BudgetToolLoopStopChatClient(
            innerClient,
            stopMessage ?? services.GetService<IOptions<KernelBudgetOptions>>()?.Value.ToolLoopStopMessage,
            services.GetService<ILoggerFactory>()));
    }
}
