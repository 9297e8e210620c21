using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Server.Http;

/// <summary>The ProblemDetails answers of the service.</summary>
internal static class Problems
{
    /// <summary>
    /// Writes a ProblemDetails answer from middleware, outside any endpoint (authentication, the request guard, the
    /// rate limiter), through the application's <see cref="IProblemDetailsService"/>.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        IProblemDetailsService problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).ConfigureAwait(false))
        {
            await context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted).ConfigureAwait(false);
        }
    }

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            detail: string.Join(" ", errors.SelectMany(e => e.Value)),
            title: "The request is not valid.");

    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static IResult NotFound(string detail, string extensionName, string extensionValue) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status404NotFound,
            title: "Not found.",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { [extensionName] = extensionValue });

    // An id reused for something else (docs/budget-service-api.md, "Ids"): what it is used for, in the conflict extension.
    public static IResult Conflict(string detail, string idName, string id, BudgetConflict conflict) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status409Conflict,
            title: "The id is already used for something else.",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [idName] = id,
                ["conflict"] = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(conflict.ToString()),
            });

    public static IResult TooLarge(long limit) =>
        TypedResults.Problem(
            detail: $"The request body is larger than the limit of {limit} bytes.",
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "The request body is too large.");

    public static IResult Forbidden(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.");

    public static IResult NotImplemented(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status501NotImplemented, title: "Not implemented by this store.");
}
