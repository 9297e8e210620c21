using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// Says <c>Connection: close</c> on an HTTP/1.1 answer when Kestrel will close the connection after it: when the
/// request's body was not read to its end and is, or may be, larger than Kestrel reads to drain it.
/// </summary>
/// <remarks>
/// <para>
/// Most refusals (415, 401, 403, 413, a bad route or key) are answered before the body is read. After the answer Kestrel
/// reads and discards what is left, so that the connection can serve the next request, but no more than the request's
/// body limit: past it, it closes the connection. That limit is the route's as the request stands when it is answered
/// (<see cref="IHttpMaxRequestBodySizeFeature"/>): <see cref="BudgetServerOptions.MaxRequestBodyBytes"/>, raised to
/// <see cref="BudgetServerOptions.MaxLiteLlmBodyBytes"/> only when LiteLLM's routes read their body, after the caller
/// is authorized; so a LiteLLM request refused before that is drained no further than any other. The answer was
/// already sent as keep-alive, so a client that reuses the connection meanwhile loses its next request ("the response
/// ended prematurely"). A body with a <c>Content-Length</c> within the limit is drained and the connection kept; a larger
/// one, or a chunked one of unknown length, is never read, and the answer says the connection ends with it.
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
internal sealed class UnreadBodyMiddleware(RequestDelegate next)
{
    private static readonly object BodyReadKey = new();

    /// <summary>Records that the request's body was read to its end, so that nothing is left to drain.</summary>
    public static void MarkBodyRead(HttpContext context) => context.Items[BodyReadKey] = true;

    public Task InvokeAsync(HttpContext context)
    {
        if (HttpProtocol.IsHttp11(context.Request.Protocol) && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            context.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                if (!context.Items.ContainsKey(BodyReadKey) && !KestrelDrains(context))
                {
                    context.Response.Headers.Connection = "close";
                }

                return Task.CompletedTask;
            }, context);
        }

        return next(context);
    }

    private static bool KestrelDrains(HttpContext context)
    {
        long? limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return limit is null || context.Request.ContentLength <= limit;
    }
}
