using System.Globalization;
using BudgetChat.Http.Wire;
using BudgetChat.Server.Authentication;
using BudgetChat.Server.Hosting;
using BudgetChat.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace BudgetChat.Server.Endpoints;

/// <summary>
/// The spend ledger's routes, <c>GET</c> and <c>POST /v1/projects/{project}/spend</c> (docs/budget-service-api.md,
/// "Spend ledger"): served when the store keeps a ledger (<see cref="IBudgetSpendLog"/>), 501 otherwise.
/// </summary>
internal static class SpendEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        // Reading spend is reading budgets: an enforce key may, as for GET .../budgets.
        group.MapGet("/spend", QueryAsync)
            .WithName("QuerySpend").WithSummary("Reads the spend ledger: a page of records, or with groupBy their totals per group; JSON, or CSV with format=csv or Accept: text/csv.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Produces<SpendPageDto>()
            .AddOpenApiOperationTransformer(DescribeAnswersAsync)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status501NotImplemented);

        // The middleware appends the refusals and releases of the calls it budgets, with the key it enforces with.
        group.MapPost("/spend", AppendAsync)
            .WithName("AppendSpend").WithSummary("Appends the record of a refused or released call (charged calls are recorded by their settle or charge).")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<AppendSpendRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status501NotImplemented);
    }

    // One 200 answers three shapes, which endpoint metadata cannot say (one type per status): a page of records or,
    // with groupBy, the groups, as JSON; or either as CSV.
    private static async Task DescribeAnswersAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses?.TryGetValue("200", out IOpenApiResponse? ok) != true || ok!.Content is not { } content
            || !content.TryGetValue("application/json", out OpenApiMediaType? json) || json.Schema is not { } page)
        {
            return;
        }

        OpenApiSchema groups = await context.GetOrCreateSchemaAsync(typeof(SpendGroupsDto), null, cancellationToken).ConfigureAwait(false);
        OpenApiDocument document = context.Document!;
        document.AddComponent<IOpenApiSchema>(nameof(SpendGroupsDto), groups);
        json.Schema = new OpenApiSchema { OneOf = [page, new OpenApiSchemaReference(nameof(SpendGroupsDto), document)] };
        content["text/csv"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "A header row, then one row per record or group (RFC 4180; text that starts with = + - @ is prefixed with a quote).",
            },
        };
    }

    private static async Task<IResult> QueryAsync(
        string project, [AsParameters] SpendQueryParameters parameters, HttpContext context, IBudgetStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (BudgetEndpoints.CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        if (SpendQueryReader.Read(context.Request, parameters, out SpendRequest read) is { } bad)
        {
            return bad;
        }

        if (store is not IBudgetSpendLog log)
        {
            return NoLedger(store, loggers);
        }

        try
        {
            if (read.Grouping is { } grouping)
            {
                IReadOnlyList<BudgetSpendGroup> groups = await log.GroupSpendAsync(project, read.Query, grouping, cancellationToken).ConfigureAwait(false);
                return read.Csv
                    ? TypedResults.Text(SpendCsv.Groups(grouping, groups), SpendCsv.ContentType)
                    : TypedResults.Ok(new SpendGroupsDto([.. groups.Select(SpendGroupDto.From)]));
            }

            BudgetSpendPage page = await log.QuerySpendAsync(project, read.Query, cancellationToken).ConfigureAwait(false);
            if (page.Next is { } next)
            {
                context.Response.Headers[HeaderNames.Link] = $"<{NextPage(context.Request, read.Query, next)}>; rel=\"next\"";
            }

            return read.Csv
                ? TypedResults.Text(SpendCsv.Records(page.Records), SpendCsv.ContentType)
                : TypedResults.Ok(SpendPageDto.From(page));
        }
        catch (ArgumentException ex)
        {
            return BudgetEndpoints.StoreRefused(loggers, "a spend query", project, ex);
        }
    }

    private static async Task<IResult> AppendAsync(string project, HttpContext context, IBudgetStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (BudgetEndpoints.CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        (AppendSpendRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.AppendSpendRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (store is not IBudgetSpendLog log)
        {
            return NoLedger(store, loggers);
        }

        try
        {
            await log.AppendSpendAsync(project, request!.ToRecord(), cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return BudgetEndpoints.StoreRefused(loggers, "a spend record", project, ex);
        }

        return TypedResults.NoContent();
    }

    private static IResult NoLedger(IBudgetStore store, ILoggerFactory loggers)
    {
        BudgetServerLog.SpendNeedsLedger(loggers.CreateLogger(typeof(SpendEndpoints).FullName!), store.GetType().Name);
        return Problems.NotImplemented(
            $"The service's store ({store.GetType().Name}) keeps no spend ledger (IBudgetSpendLog), so it has no spend records to read or append. Budgets, reservations and charges work as usual.");
    }

    // The same request with the page's cursor moved on: 'before' for a newest-first read, 'after' for an oldest-first one.
    private static string NextPage(HttpRequest request, BudgetSpendQuery query, long next)
    {
        string cursor = query.OldestFirst ? SpendQueryNames.After : SpendQueryNames.Before;
        var parameters = request.Query
            .Where(p => !string.Equals(p.Key, cursor, StringComparison.OrdinalIgnoreCase))
            .Append(new KeyValuePair<string, StringValues>(cursor, next.ToString(CultureInfo.InvariantCulture)));
        return (request.PathBase + request.Path).ToUriComponent() + QueryString.Create(parameters).ToUriComponent();
    }
}
