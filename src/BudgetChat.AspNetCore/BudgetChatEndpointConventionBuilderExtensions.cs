using BudgetChat;
using BudgetChat.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Opts endpoints in to BudgetChat's budget headers.</summary>
public static class BudgetChatEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Adds the budget headers of the request's user to every response of the endpoints (minimal API route handlers, alone
    /// or in a group): <see cref="BudgetHeaderNames.Limit"/>, <see cref="BudgetHeaderNames.Remaining"/> and
    /// <see cref="BudgetHeaderNames.Reset"/> of the budget's main limit, <see cref="BudgetHeaderNames.RunsOut"/> when it is
    /// forecast to run out before its window ends, and (unless <see cref="BudgetChatAspNetCoreOptions.RateLimitHeaders"/> is
    /// off) <see cref="BudgetHeaderNames.RateLimitPolicy"/> and <see cref="BudgetHeaderNames.RateLimit"/> for its request limits.
    /// </summary>
    /// <typeparam name="TBuilder">The type of the endpoint builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <remarks>
    /// <para>
    /// The user is found as for the budgeted calls (<see cref="BudgetChatAspNetCoreOptions"/>: claims, then the user
    /// header); the budget is <c>user:{id}</c> in the project of the registered <see cref="BudgetingChatClientOptions.ProjectName"/>,
    /// read from the registered <see cref="IBudgetStore"/> just before the response starts, that is after the endpoint's
    /// calls were charged. A request without a user, or a user without a budget yet, gets no headers. If a call's
    /// <see cref="Microsoft.Extensions.AI.ChatOptions"/> name a different user, the headers still describe the request's user.
    /// </para>
    /// <para>
    /// <c>RateLimit-Policy</c> lists every request limit of the budget; <c>RateLimit</c> describes the one closest to its
    /// limit: the smallest share left, and of equal shares the one whose window ends last (the client waits longest for
    /// it), then the first defined. Dollar and token limits are not in them, because the draft has no quota unit for them.
    /// A budget refusal (429) carries the headers of the limit that refused instead.
    /// </para>
    /// <para>Needs <c>services.AddBudgetChatAspNetCore()</c>.</para>
    /// </remarks>
    public static TBuilder WithBudgetHeaders<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEndpointFilter(static (context, next) =>
        {
            BudgetHeadersEndpointFilter filter = context.HttpContext.RequestServices.GetService<BudgetHeadersEndpointFilter>()
                ?? throw new InvalidOperationException("WithBudgetHeaders() needs BudgetChat's ASP.NET Core services: call services.AddBudgetChatAspNetCore().");
            return filter.InvokeAsync(context, next);
        });
    }
}
