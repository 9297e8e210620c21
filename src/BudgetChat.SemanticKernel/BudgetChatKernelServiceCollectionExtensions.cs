using BudgetChat;
using BudgetChat.SemanticKernel;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers BudgetChat's Semantic Kernel integration.</summary>
public static class BudgetChatKernelServiceCollectionExtensions
{
    /// <summary>
    /// Registers what <c>UseBudget()</c> needs (see <c>AddBudgetChat</c>) and the kernel integration: a function
    /// invocation filter that makes the user named in a top-level kernel function's arguments the ambient budget
    /// user, an auto function invocation filter that ends a tool loop when its budget is spent (both run by every
    /// <see cref="Kernel"/> built from these services), validated <see cref="KernelBudgetOptions"/>, and a
    /// <see cref="BudgetingChatClientOptions.UserIdResolver"/> that returns the ambient user (see
    /// <see cref="BudgetChatKernelExtensions.BeginBudgetUserScope"/>), else whatever resolver was configured before.
    /// </summary>
    /// <param name="services">The services, for example <c>kernelBuilder.Services</c>.</param>
    /// <param name="configure">Sets the options of every budgeted chat client built from this container.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// Calling it again only adds <paramref name="configure"/>. A <c>UseBudget(configure)</c> callback that sets its
    /// own <see cref="BudgetingChatClientOptions.UserIdResolver"/> replaces the ambient one for that pipeline.
    /// </remarks>
    public static IServiceCollection AddBudgetChatForKernel(this IServiceCollection services, Action<BudgetingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddBudgetChat(configure);

        if (services.Any(d => d.ServiceType == typeof(KernelBudgetUserAccessor)))
        {
            return services;
        }

        services.AddSingleton<KernelBudgetUserAccessor>();
        services.AddOptions<KernelBudgetOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KernelBudgetOptions>, KernelBudgetOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunctionInvocationFilter, BudgetUserFunctionInvocationFilter>(sp => new BudgetUserFunctionInvocationFilter(
            sp.GetRequiredService<KernelBudgetUserAccessor>(),
            sp.GetRequiredService<IOptions<KernelBudgetOptions>>(),
            sp.GetService<ILoggerFactory>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAutoFunctionInvocationFilter, BudgetAutoFunctionInvocationFilter>(sp => new BudgetAutoFunctionInvocationFilter(
            sp.GetRequiredService<IBudgetStore>(),
            sp.GetRequiredService<KernelBudgetUserAccessor>(),
            sp.GetRequiredService<IOptions<BudgetingChatClientOptions>>(),
            sp.GetRequiredService<IOptions<KernelBudgetOptions>>(),
            sp.GetService<ILoggerFactory>())));

        // After every Configure, so a resolver set there stays as the fallback.
        services.AddOptions<BudgetingChatClientOptions>().PostConfigure<KernelBudgetUserAccessor>((options, accessor) =>
        {
            Func<BudgetCallContext, string?>? configured = options.UserIdResolver;
            options.UserIdResolver = configured is null
                ? _ => accessor.UserId
                : context => accessor.UserId ?? configured(context);
        });

        return services;
    }
}
