using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Makes the user of the current HTTP request the fallback user of every budgeted call: it runs after the app's
/// own configuration and keeps a <see cref="BudgetingChatClientOptions.UserIdResolver"/> the app set, asking it first.
/// </summary>
internal sealed class HttpUserIdResolverSetup : IPostConfigureOptions<BudgetingChatClientOptions>
{
    private readonly HttpBudgetUserResolver _resolver;

    public HttpUserIdResolverSetup(HttpBudgetUserResolver resolver)
    {
        _resolver = resolver;
    }

    public void PostConfigure(string? name, BudgetingChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Func<BudgetCallContext, string?> fromRequest = _resolver.ResolveForCall;
        Func<BudgetCallContext, string?>? appResolver = options.UserIdResolver;
        options.UserIdResolver = appResolver is null
            ? fromRequest
            : call => appResolver(call) is { } userId && !string.IsNullOrWhiteSpace(userId) ? userId : fromRequest(call);
    }
}
