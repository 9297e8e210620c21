using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Adds the <see cref="BudgetHeaderNames"/> of the request's user to the response of an endpoint that opted in
/// with <c>WithBudgetHeaders()</c>: the main limit, its run-out forecast, and the RateLimit fields of its request limits.
/// </summary>
/// <remarks>
/// The budget is read from the <see cref="IBudgetStore"/> just before the response starts, so for an endpoint that
/// returns a result it includes what the endpoint's calls were charged, and for one that streams it includes what
/// they hold at that moment. A budget refusal (the 429 of <see cref="BudgetExceptionHandler"/>) keeps the headers of the
/// limit that refused. Reading the budget never fails the response: a failure is logged and the headers are left out.
/// This type is thread-safe.
/// </remarks>
internal sealed partial class BudgetHeadersEndpointFilter
{
    private static readonly Func<object, Task> WriteHeadersCallback = state => ((Pending)state).WriteHeadersAsync();

    private readonly HttpBudgetUserResolver _users;
    private readonly IBudgetStore _store;
    private readonly IOptions<BudgetingChatClientOptions> _options;
    private readonly IOptions<BudgetChatAspNetCoreOptions> _webOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public BudgetHeadersEndpointFilter(
        HttpBudgetUserResolver users,
        IBudgetStore store,
        IOptions<BudgetingChatClientOptions> options,
        IOptions<BudgetChatAspNetCoreOptions> webOptions,
        TimeProvider timeProvider,
        ILogger<BudgetHeadersEndpointFilter> logger)
    {
        _users = users;
        _store = store;
        _options = options;
        _webOptions = webOptions;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext httpContext = context.HttpContext;
        httpContext.Response.OnStarting(WriteHeadersCallback, new Pending(this, httpContext));
        return next(context);
    }

    private async Task WriteHeadersAsync(HttpContext httpContext)
    {
        if (BudgetHeaderWriter.IsRefusal(httpContext))
        {
            return;
        }

        try
        {
            if (_users.Resolve(httpContext) is not { } userId)
            {
                return;
            }

            string project = _options.Value.ProjectName;
            BudgetState? budget = await _store.GetBudgetAsync(project, BudgetKeys.ForUser(userId), httpContext.RequestAborted).ConfigureAwait(false);
            if (budget is not null)
            {
                IHeaderDictionary headers = httpContext.Response.Headers;
                BudgetHeaderWriter.WriteBudget(headers, budget.Limit, budget.Remaining, budget.WindowEnd);
                BudgetHeaderWriter.WriteTime(headers, BudgetHeaderNames.RunsOut, budget.RunsOutAt);
                if (_webOptions.Value.RateLimitHeaders)
                {
                    List<BudgetWindowState> policies = RateLimitFields.Policies(budget.Windows);
                    RateLimitFields.WritePolicies(headers, policies);
                    if (RateLimitFields.Closest(policies) is { } closest)
                    {
                        RateLimitFields.WriteServiceLimit(headers, closest, _timeProvider.GetUtcNow());
                    }
                }
            }
        }
        catch (BudgetUserException)
        {
            // A malformed user header: the endpoint decides what to answer; there is no budget to describe.
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing will be sent.
        }
        catch (Exception ex)
        {
            Log.HeadersFailed(_logger, ex);
        }
    }

    private sealed class Pending(BudgetHeadersEndpointFilter filter, HttpContext httpContext)
    {
        public Task WriteHeadersAsync() => filter.WriteHeadersAsync(httpContext);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not read the user's budget for the budget headers; the response is sent without them.")]
        public static partial void HeadersFailed(ILogger logger, Exception exception);
    }
}
