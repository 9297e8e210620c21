using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace BudgetChat.SemanticKernel;

/// <summary>
/// Ends Semantic Kernel's automatic tool-calling loop after a round of function calls when a budget the next
/// round trip would be charged to has nothing left, so the model is not asked again only to be refused.
/// </summary>
/// <remarks>
/// <para>
/// After the last function of a round has run, the filter reads from the <see cref="IBudgetStore"/> the budgets
/// the next round trip would be charged to: the user's (the one in the call's <c>ChatOptions</c> or execution
/// settings, else the ambient <see cref="KernelBudgetUserAccessor.UserId"/>, else
/// <see cref="BudgetingChatClientOptions.UserIdResolver"/>), the global one when
/// <see cref="BudgetingChatClientOptions.MaxBudget"/> is set, and those of
/// <see cref="BudgetingChatClientOptions.AdditionalKeysResolver"/>. When one of them has
/// <see cref="BudgetState.Remaining"/> of zero or below <see cref="KernelBudgetOptions.StopToolLoopWhenRemainingBelow"/>,
/// it sets <see cref="Microsoft.Extensions.AI.FunctionInvocationContext.Terminate"/>: the caller gets the conversation so far, ending with
/// the function results, and every round trip made has been settled to its real cost.
/// </para>
/// <para>
/// It complements <see cref="BudgetToolLoopStopChatClient"/>, which still catches a refusal the filter could not
/// foresee (a concurrent call spending the rest, a round trip whose worst case no longer fits). It reads the
/// project and keys from the container's <see cref="BudgetingChatClientOptions"/>; a pipeline whose
/// <c>UseBudget(configure)</c> changes them is still enforced by its middleware. A budget that does not exist is
/// not checked, and a store that fails is logged and ignored: the loop goes on and the middleware enforces the
/// budget. Semantic Kernel runs the filter only in its own function-invocation loop
/// (<c>UseKernelFunctionInvocation()</c>, which <c>AddBudgetedChatClient</c> adds). This type is thread-safe.
/// </para>
/// </remarks>
internal sealed partial class BudgetAutoFunctionInvocationFilter : IAutoFunctionInvocationFilter
{
    private readonly IBudgetStore _store;
    private readonly KernelBudgetUserAccessor _accessor;
    private readonly BudgetingChatClientOptions _budgetOptions;
    private readonly decimal _threshold;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="BudgetAutoFunctionInvocationFilter"/> class.</summary>
    /// <param name="store">The store the budgeted chat clients charge.</param>
    /// <param name="accessor">Holds the ambient budget user.</param>
    /// <param name="budgetOptions">The options of the budgeted chat clients: project, global budget and user and key resolvers; read once, here.</param>
    /// <param name="options">The kernel integration's options; read once, here.</param>
    /// <param name="loggerFactory">Creates the logger, or <see langword="null"/> for no logging.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public BudgetAutoFunctionInvocationFilter(
        IBudgetStore store,
        KernelBudgetUserAccessor accessor,
        IOptions<BudgetingChatClientOptions> budgetOptions,
        IOptions<KernelBudgetOptions> options,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(accessor);
        ArgumentNullException.ThrowIfNull(budgetOptions);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _accessor = accessor;
        _budgetOptions = budgetOptions.Value;
        _budgetOptions.Validate();
        KernelBudgetOptions kernelOptions = options.Value;
        kernelOptions.Validate();
        _threshold = kernelOptions.StopToolLoopWhenRemainingBelow;
        _logger = (ILogger?)loggerFactory?.CreateLogger<BudgetAutoFunctionInvocationFilter>() ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);

        await next(context).ConfigureAwait(false);

        // Check once per round, after its last function: stopping earlier would leave calls the model made unanswered.
        if (context.Terminate || context.FunctionCallIndex < context.FunctionCount - 1)
        {
            return;
        }

        CancellationToken cancellationToken = context.CancellationToken;
        try
        {
            if (await FindSpentBudgetAsync(context, cancellationToken).ConfigureAwait(false) is { } spent)
            {
                Log.ToolLoopTerminated(_logger, spent.Key, spent.Remaining, context.Function.Name);
                context.Terminate = true;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The check only saves a refused call; the middleware enforces the budget whatever went wrong here.
            Log.BudgetCheckFailed(_logger, context.Function.Name, ex);
        }
    }

    private static string? UserFromSettings(PromptExecutionSettings? settings) =>
        settings?.ExtensionData is { Count: > 0 } data
            ? data.TryGetValue(ChatOptionsBudgetExtensions.UserIdKey, out object? value) && value is string { Length: > 0 } id ? id
            : data.TryGetValue(ChatOptionsBudgetExtensions.CompatibleUserIdKey, out value) && value is string { Length: > 0 } compatible ? compatible
            : null
            : null;

    private async ValueTask<BudgetState?> FindSpentBudgetAsync(AutoFunctionInvocationContext context, CancellationToken cancellationToken)
    {
        ChatOptions? chatOptions = context.Options;
        string? userId = BudgetCallKeys.ResolveUser(
            chatOptions.GetBudgetUser() ?? UserFromSettings(context.ExecutionSettings) ?? _accessor.UserId, _budgetOptions, context.Messages, chatOptions);

        // The same keys the middleware will charge; a blank resolver key throws here (logged) as it will there.
        string[] keys = BudgetCallKeys.Resolve(userId, _budgetOptions.MaxBudget is not null, _budgetOptions, context.Messages, chatOptions);
        foreach (string key in keys)
        {
            BudgetState? budget = await _store.GetBudgetAsync(_budgetOptions.ProjectName, key, cancellationToken).ConfigureAwait(false);
            if (budget is not null && (budget.Remaining <= 0m || budget.Remaining < _threshold))
            {
                return budget;
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Ended a tool loop after function {FunctionName}: budget '{Key}' has {Remaining} left, so the model was not asked again and the conversation so far was returned.")]
        public static partial void ToolLoopTerminated(ILogger logger, string key, decimal remaining, string functionName);

        [LoggerMessage(2, LogLevel.Warning, "Could not check the budgets of a tool loop's next round trip after function {FunctionName}; the loop goes on and the budgeted chat client enforces the budget.")]
        public static partial void BudgetCheckFailed(ILogger logger, string functionName, Exception exception);
    }
}
