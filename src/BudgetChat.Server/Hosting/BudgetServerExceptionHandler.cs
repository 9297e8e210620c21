using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// Answers the exceptions that are the caller's doing: a request Kestrel refused (too large, malformed) with its own
/// 4xx, a caller that went away with nothing. Everything else falls through to the 500 ProblemDetails, logged.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal sealed class BudgetServerExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case BadHttpRequestException bad:
                httpContext.Response.StatusCode = bad.StatusCode;
                return await problems.TryWriteAsync(new ProblemDetailsContext
                {
                    HttpContext = httpContext,
                    Exception = exception,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = bad.StatusCode,
                        Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request is not valid.",
                        Detail = bad.Message,
                    },
                }).ConfigureAwait(false);

            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                httpContext.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                return true;

            default:
                return false;
        }
    }
}
