using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Authentication;

/// <summary>
/// Turns off Kestrel's log of malformed requests (<see cref="Category"/>), whatever the configuration says: for a header
/// line it cannot parse (an <c>Authorization</c> header folded onto a second line, a control character in it) that log
/// quotes the line, API key included, at Debug. Kestrel offers no way to log the event without the line, so the service
/// gives it up; the client still gets its 400.
/// </summary>
/// <remarks>
/// Applied after every other configuration of the filters, with a rule for each provider that has rules of its own, so
/// a provider-specific level such as <c>Logging:Console:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests</c>
/// cannot turn it back on. This type is thread-safe.
/// </remarks>
internal sealed class KestrelBadRequestLogFilter : IPostConfigureOptions<LoggerFilterOptions>
{
    /// <summary>The category of Kestrel's bad-request log.</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string?[] providers = [null, .. options.Rules.Select(r => r.ProviderName).Where(p => p is not null).Distinct(StringComparer.Ordinal)];
        foreach (string? provider in providers)
        {
            options.Rules.Add(new LoggerFilterRule(provider, Category, LogLevel.None, filter: null));
        }
    }
}
