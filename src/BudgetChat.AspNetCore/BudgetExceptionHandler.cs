using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Turns BudgetChat's refusals into ProblemDetails responses: <see cref="BudgetExceededException"/> into 429 with
/// <c>Retry-After</c> and the <see cref="BudgetHeaderNames"/> of the limit that refused, a user without a budget
/// (<see cref="BudgetNotFoundException"/> on a <c>user:</c> key) into 403, and <see cref="BudgetUserException"/> into its status.
/// </summary>
/// <remarks>
/// <para>
/// A 429 names the limit that refused (a budget may have several: dollars a day and a month, tokens a minute, …): the body
/// has its name (<c>window</c>), <c>unit</c>, <c>limit</c>, <c>spent</c>, <c>reserved</c>, <c>remaining</c> and
/// <c>estimate</c> in that unit, <c>resetsAt</c> and, for the budget's main limit, <c>runsOutAt</c>; <c>Retry-After</c> counts
/// to the end of its window. The dollar headers describe it only when it counts dollars (see <see cref="BudgetHeaderNames"/>).
/// With <see cref="BudgetChatAspNetCoreOptions.RateLimitHeaders"/>, the refusing budget is read once more to list its
/// request limits in <c>RateLimit-Policy</c>, and <c>RateLimit</c> describes the refusing limit when it counts requests; a
/// dollar or token refusal has no <c>RateLimit</c>, since a request quota that did not refuse would contradict the 429.
/// </para>
/// <para>
/// Registered by <c>AddBudgetChatAspNetCore</c>; it runs inside <c>app.UseExceptionHandler()</c>, before exception
/// handlers registered later, and leaves every other exception to them. The exception may be wrapped (for example
/// by a framework that calls the chat client); the first budget exception among the inner exceptions is used.
/// The response is written through <see cref="IProblemDetailsService"/>, so <c>AddProblemDetails</c> customizations apply.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
internal sealed class BudgetExceptionHandler : IExceptionHandler
{
    private const string TooManyRequestsType = "https://tools.ietf.org/html/rfc6585#section-4";
    private const int MaxInnerDepth = 8;

    private readonly IProblemDetailsService _problemDetails;
    private readonly TimeProvider _timeProvider;
    private readonly IOptions<BudgetChatAspNetCoreOptions> _options;

    /// <summary>Initializes a new instance of the <see cref="BudgetExceptionHandler"/> class.</summary>
    /// <param name="problemDetails">Writes the responses.</param>
    /// <param name="timeProvider">The clock <c>Retry-After</c> is counted from.</param>
    /// <param name="options">Whether to write the RateLimit fields.</param>
    public BudgetExceptionHandler(
        IProblemDetailsService problemDetails,
        TimeProvider timeProvider,
        IOptions<BudgetChatAspNetCoreOptions> options)
    {
        ArgumentNullException.ThrowIfNull(problemDetails);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _problemDetails = problemDetails;
        _timeProvider = timeProvider;
        _options = options;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        ProblemDetails? problem = FindBudgetException(exception) switch
        {
            BudgetExceededException exceeded => Exceeded(httpContext, exceeded),
            BudgetNotFoundException notFound => NoUserBudget(notFound),
            BudgetUserException user => new ProblemDetails
            {
                Status = user.StatusCode,
                Title = user.StatusCode == StatusCodes.Status400BadRequest ? "Invalid budget user" : "Budget user required",
                Detail = user.Message,
            },
            _ => null,
        };

        if (problem is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        var context = new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception };

        // When no writer accepts what the client asked for, the body stays empty: the status and headers still say it all.
        await _problemDetails.TryWriteAsync(context).ConfigureAwait(false);
        return true;
    }

    private static Exception? FindBudgetException(Exception exception)
    {
        Exception? current = exception;
        for (int depth = 0; current is not null && depth < MaxInnerDepth; depth++)
        {
            switch (current)
            {
                case BudgetExceededException or BudgetUserException:
                case BudgetNotFoundException { Key: { } key } when key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal):
                    return current;
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    current = aggregate.InnerExceptions[0];
                    break;
                default:
                    current = current.InnerException;
                    break;
            }
        }

        return null;
    }

    private ProblemDetails Exceeded(HttpContext httpContext, BudgetExceededException exceeded)
    {
        BudgetHeaderWriter.MarkRefusal(httpContext);
        IHeaderDictionary headers = httpContext.Response.Headers;
        DateTimeOffset now = _timeProvider.GetUtcNow();
        BudgetUnit unit = exceeded.Unit;
        decimal remaining = Math.Max(0m, exceeded.Limit - exceeded.Spent - exceeded.Reserved);
        if (unit == BudgetUnit.Dollars)
        {
            BudgetHeaderWriter.WriteBudget(headers, exceeded.Limit, remaining, exceeded.ResetsAt);
        }
        else
        {
            // X-Budget-Limit and -Remaining are dollars: a count of tokens or requests is never written there.
            BudgetHeaderWriter.WriteTime(headers, BudgetHeaderNames.Reset, exceeded.ResetsAt);
        }

        if (exceeded.ResetsAt is { } resetsAt)
        {
            BudgetHeaderWriter.WriteRetryAfter(headers, resetsAt, now);
        }

        if (_options.Value.RateLimitHeaders && exceeded.Window is { } window)
        {
            WriteRateLimitFields(headers, exceeded, window, now);
        }

        string limit = exceeded.WindowName is { } name ? $"the '{name}' limit of the budget '{exceeded.Key}'" : $"the budget '{exceeded.Key}'";
        string detail = string.Create(
            CultureInfo.InvariantCulture,
            $"The request does not fit in {limit}: it needs up to {Amount(unit, exceeded.Estimate)}, and the limit has {Amount(unit, remaining)} left of {Amount(unit, exceeded.Limit)}.");
        detail += exceeded.ResetsAt is { } end
            ? $" It resets at {BudgetHeaderWriter.FormatTime(end)}."
            : " It does not reset by itself.";

        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Type = TooManyRequestsType,
            Title = "Budget exceeded",
            Detail = detail,
        };
        IDictionary<string, object?> extensions = problem.Extensions;
        extensions["budgetKey"] = exceeded.Key;
        if (exceeded.WindowName is { } windowName)
        {
            extensions["window"] = windowName;
        }

        extensions["unit"] = UnitName(unit);
        extensions["limit"] = BudgetHeaderWriter.Normalize(exceeded.Limit);
        extensions["spent"] = BudgetHeaderWriter.Normalize(exceeded.Spent);
        extensions["reserved"] = BudgetHeaderWriter.Normalize(exceeded.Reserved);
        extensions["remaining"] = BudgetHeaderWriter.Normalize(remaining);
        extensions["estimate"] = BudgetHeaderWriter.Normalize(exceeded.Estimate);
        if (exceeded.ResetsAt is { } resets)
        {
            extensions["resetsAt"] = resets.ToUniversalTime();
        }

        if (exceeded.RunsOutAt is { } runsOut)
        {
            extensions["runsOutAt"] = runsOut.ToUniversalTime();
        }

        return problem;
    }

    // The policies are all the refusing budget's request limits, as the refusal saw them.
    private static void WriteRateLimitFields(IHeaderDictionary headers, BudgetExceededException exceeded, BudgetWindowState refusing, DateTimeOffset now)
    {
        List<BudgetWindowState> policies = RateLimitFields.Policies(exceeded.Budget?.Windows ?? [refusing]);
        RateLimitFields.WritePolicies(headers, policies);
        if (policies.Exists(p => string.Equals(p.Name, refusing.Name, StringComparison.Ordinal)))
        {
            RateLimitFields.WriteServiceLimit(headers, refusing, now);
        }
    }

    private static string UnitName(BudgetUnit unit) => unit switch
    {
        BudgetUnit.Tokens => "tokens",
        BudgetUnit.Requests => "requests",
        _ => "dollars",
    };

    private static string Amount(BudgetUnit unit, decimal amount) => unit switch
    {
        BudgetUnit.Dollars => "$" + BudgetHeaderWriter.FormatMoney(amount),
        _ => string.Create(CultureInfo.InvariantCulture, $"{amount:#,0} {(unit == BudgetUnit.Tokens ? "token" : "request")}{(amount == 1m ? string.Empty : "s")}"),
    };

    private static ProblemDetails NoUserBudget(BudgetNotFoundException notFound) => new()
    {
        Status = StatusCodes.Status403Forbidden,
        Title = "No budget",
        Detail = $"The user '{notFound.Key![BudgetKeys.UserPrefix.Length..]}' has no budget, so the request cannot be charged.",
    };
}
