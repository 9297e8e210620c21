using Microsoft.AspNetCore.Http;

namespace BudgetChat.Server.Http;

/// <summary>
/// Writes every error of LiteLLM's routes (<c>/get_budget</c>, <c>/set_budget</c>) in LiteLLM's shape,
/// <c>{"status": "error", "message": "..."}</c>, with the HTTP status code of the error; every other route keeps
/// ProblemDetails.
/// </summary>
/// <remarks>
/// <para>
/// LiteLLM's hosted client reads any answer as <c>response["status"] == "error"</c>, else <c>response["data"]</c>: a
/// ProblemDetails (<c>"status": 401</c>, no <c>data</c>) raises <c>KeyError</c> in its <c>BudgetManager</c>
/// constructor. Every error of the service goes through <see cref="IProblemDetailsService"/>, whether the endpoint
/// answers it or middleware does before the endpoint runs (authentication, the request guard, the rate limit, the
/// exception handler, status code pages), so this writer, registered before the default one, covers them all.
/// </para>
/// <para>
/// The route is told by the request path, not by the endpoint: the exception handler clears the endpoint before it
/// writes (a body over the limit that Kestrel refuses while it is read).
/// </para>
/// <para>This type is thread-safe.</para>
/// </remarks>
internal sealed class LiteLlmErrorWriter : IProblemDetailsWriter
{
    /// <summary>The paths of LiteLLM's routes, as mapped in <c>LiteLlmEndpoints</c>.</summary>
    private static readonly string[] Routes = ["/get_budget", "/set_budget"];

    /// <summary>Tells whether a path is one of LiteLLM's routes, as routing matches it (any case, one trailing slash).</summary>
    public static bool IsLiteLlmRoute(PathString path)
    {
        string value = path.Value ?? string.Empty;
        if (value.Length > 1 && value[^1] == '/')
        {
            value = value[..^1];
        }

        return Routes.Contains(value, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The OpenAPI metadata of an error of LiteLLM's routes: <see cref="LiteLlmErrorResponse"/> as <c>application/json</c>.</summary>
    public static ProducesResponseTypeMetadata Produces(int statusCode) =>
        new(statusCode, typeof(LiteLlmErrorResponse), ["application/json"]);

    public bool CanWrite(ProblemDetailsContext context) => IsLiteLlmRoute(context.HttpContext.Request.Path);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        HttpResponse response = context.HttpContext.Response;
        if (context.ProblemDetails.Status is { } status && response.StatusCode == StatusCodes.Status200OK)
        {
            response.StatusCode = status;
        }

        // The detail of a validation problem repeats every message, each naming its field.
        string message = context.ProblemDetails.Detail ?? context.ProblemDetails.Title ?? $"The request failed with status {response.StatusCode}.";
        IDictionary<string, string[]>? errors = (context.ProblemDetails as HttpValidationProblemDetails)?.Errors;
        return new ValueTask(response.WriteAsJsonAsync(
            new LiteLlmErrorResponse("error", message, errors),
            LiteLlmErrorJsonContext.Default.LiteLlmErrorResponse,
            contentType: "application/json",
            context.HttpContext.RequestAborted));
    }
}
