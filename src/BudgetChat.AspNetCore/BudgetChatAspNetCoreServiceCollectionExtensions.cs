using BudgetChat;
using BudgetChat.AspNetCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers BudgetChat's ASP.NET Core integration.</summary>
public static class BudgetChatAspNetCoreServiceCollectionExtensions
{
    /// <summary>
    /// Charges budgeted chat calls made while handling a request to the request's user, turns budget refusals into
    /// ProblemDetails responses (429 with <c>Retry-After</c> and budget headers), reports calls sent to a cheaper model in a
    /// response header, and enables <c>WithBudgetHeaders()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">
    /// Sets how the request's user is found (claim types, a header, whether a user is required) and which headers
    /// responses carry.
    /// </param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// <para>
    /// It calls <c>AddBudgetChat()</c> (configure the budgets with your own <c>AddBudgetChat(options => ...)</c>, before
    /// or after), <c>AddHttpContextAccessor()</c> and <c>AddProblemDetails()</c>, and registers
    /// an exception handler that turns budget exceptions into 429 and 503 ProblemDetails; add <c>app.UseExceptionHandler()</c> to the pipeline for it to run. Exception
    /// handlers run in the order they are registered: call this before registering a handler that handles every exception.
    /// </para>
    /// <para>
    /// The user reaches the budgeted client through <see cref="BudgetingChatClientOptions.UserIdResolver"/>, which is
    /// asked only when a call's <c>ChatOptions</c> name no user: a user set with <c>WithBudgetUser</c> still wins. A
    /// resolver the app configured itself is kept and asked first; the request's user is the fallback. In the same way,
    /// <see cref="BudgetingChatClientOptions.OnModelDowngraded"/> reports each downgrade in the response's
    /// <see cref="BudgetChatAspNetCoreOptions.ModelDowngradeHeaderName"/> header and then calls the app's own callback.
    /// </para>
    /// </remarks>
    public static IServiceCollection AddBudgetChatAspNetCore(this IServiceCollection services, Action<BudgetChatAspNetCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddBudgetChat();
        OptionsBuilder<BudgetChatAspNetCoreOptions> options = services.AddOptions<BudgetChatAspNetCoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetChatAspNetCoreOptions>, BudgetChatAspNetCoreOptionsValidator>());

        services.AddHttpContextAccessor();
        services.AddProblemDetails();
        services.TryAddSingleton<HttpBudgetUserResolver>();
        services.TryAddSingleton<BudgetHeadersEndpointFilter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BudgetingChatClientOptions>, HttpUserIdResolverSetup>());
        services.TryAddSingleton<ModelDowngradeRecorder>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BudgetingChatClientOptions>, ModelDowngradeHeaderSetup>());

        // AddExceptionHandler adds a handler on every call; register ours once.
        if (!services.Any(d => d.ServiceType == typeof(Microsoft.AspNetCore.Diagnostics.IExceptionHandler) && d.ImplementationType == typeof(BudgetExceptionHandler)))
        {
            services.AddExceptionHandler<BudgetExceptionHandler>();
        }

        return services;
    }
}
