using BudgetChat.Http.Wire;
using BudgetChat.Server.Alerts;
using BudgetChat.Server.Authentication;
using BudgetChat.Server.Hosting;
using BudgetChat.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Endpoints;

/// <summary>
/// The <c>/v1/projects/{project}/...</c> routes: one per <see cref="IBudgetStore"/> method (docs/budget-service-api.md),
/// and the spend ledger's (<see cref="SpendEndpoints"/>).
/// </summary>
internal static class BudgetEndpoints
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup("/v1/projects/{project}")
            .RequireAuthorization(ProjectAccess.ProjectPolicy)
            .WithTags("Budgets")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        // Sweeping is the same for every project (the store sweeps them all), so an admin key of any project may ask for it.
        endpoints.MapPost("/v1/sweep", SweepAllAsync)
            .WithTags("Budgets")
            .WithName("SweepAll").WithSummary("Rolls over every ended window and reclaims expired reservations, in every project.")
            .RequireAuthorization(ProjectAccess.AdminPolicy)
            .Produces<SweepResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/budgets", ListAsync)
            .WithName("ListBudgets").WithSummary("Lists the project's budgets, ordered by key.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Produces<BudgetListDto>().ProducesValidationProblem();

        group.MapGet("/budget", GetAsync)
            .WithName("GetBudget").WithSummary("Gets the budget of a key (?key=).")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Produces<BudgetDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/budget", SetAsync)
            .WithName("SetBudget").WithSummary("Creates a budget, or changes its definition keeping what it has spent.")
            .RequireAuthorization(ProjectAccess.AdminPolicy)
            .Accepts<SetBudgetRequest>("application/json")
            .Produces<BudgetDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/budget/get-or-create", GetOrCreateAsync)
            .WithName("GetOrCreateBudget").WithSummary("Creates a budget unless the key has one; answers the budget either way.")

            // An enforce key may: the middleware creates a user's default budget on first use (DefaultUserBudget), and
            // a budget that exists is never changed, so no limit can be raised or spend erased through it.
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<DefinitionDto>("application/json")
            .Produces<BudgetDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapDelete("/budget", DeleteAsync)
            .WithName("DeleteBudget").WithSummary("Deletes a budget with its spend.")
            .RequireAuthorization(ProjectAccess.AdminPolicy)
            .Produces(StatusCodes.Status204NoContent).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/budget/reset", ResetAsync)
            .WithName("ResetBudget").WithSummary("Sets a budget's spend to zero and starts a new window.")
            .RequireAuthorization(ProjectAccess.AdminPolicy)
            .Produces<BudgetDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/reservations", ReserveAsync)
            .WithName("Reserve").WithSummary("Holds an amount on every key, or on none (200 with status insufficientBudget or budgetNotFound).")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<ReserveRequest>("application/json")
            .Produces<ReserveResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/reservations/settle", SettleAsync)
            .WithName("Settle").WithSummary("Ends a reservation charging the actual cost; idempotent by id.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<SettleRequest>("application/json")
            .Produces<CompletionDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/reservations/release", ReleaseAsync)
            .WithName("Release").WithSummary("Ends a reservation without charging; idempotent by id.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<ReleaseRequest>("application/json")
            .Produces<CompletionDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/reservations/renew", RenewAsync)
            .WithName("Renew").WithSummary("Moves an active reservation's expiry later, so a long call keeps its hold; idempotent.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<RenewRequest>("application/json")
            .Produces<RenewResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/charges", ChargeAsync)
            .WithName("Charge").WithSummary("Charges every key without a reservation, even past a limit; idempotent by id.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<ChargeRequest>("application/json")
            .Produces<CompletionDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/sweep", SweepAsync)
            .WithName("Sweep").WithSummary("Rolls over every ended window and reclaims expired reservations.")
            .RequireAuthorization(ProjectAccess.AdminPolicy)
            .Produces<SweepResponse>().ProducesValidationProblem();

        SpendEndpoints.Map(group);
        return group;
    }

    private static async Task<IResult> ListAsync(string project, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new BudgetListDto([.. budgets.Select(BudgetDto.From)]));
    }

    private static async Task<IResult> GetAsync(string project, HttpRequest request, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProjectAndKey(project, request, out string key) is { } invalid)
        {
            return invalid;
        }

        BudgetState? budget = await store.GetBudgetAsync(project, key, cancellationToken).ConfigureAwait(false);
        return budget is null ? NoBudget(project, key) : TypedResults.Ok(BudgetDto.From(budget));
    }

    private static async Task<IResult> SetAsync(string project, HttpContext context, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProjectAndKey(project, context.Request, out string key) is { } invalid)
        {
            return invalid;
        }

        (SetBudgetRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.SetBudgetRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        BudgetState budget = await store.SetBudgetAsync(project, key, request!.Definition.ToDefinition(), request.CreatedAt, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(BudgetDto.From(budget));
    }

    private static async Task<IResult> GetOrCreateAsync(string project, HttpContext context, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProjectAndKey(project, context.Request, out string key) is { } invalid)
        {
            return invalid;
        }

        (DefinitionDto? definition, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.DefinitionDto).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        BudgetState budget = await store.GetOrCreateBudgetAsync(project, key, definition!.ToDefinition(), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(BudgetDto.From(budget));
    }

    private static async Task<IResult> DeleteAsync(string project, HttpRequest request, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProjectAndKey(project, request, out string key) is { } invalid)
        {
            return invalid;
        }

        return await store.DeleteBudgetAsync(project, key, cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : NoBudget(project, key);
    }

    private static async Task<IResult> ResetAsync(string project, HttpRequest request, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProjectAndKey(project, request, out string key) is { } invalid)
        {
            return invalid;
        }

        BudgetState? budget = await store.ResetBudgetAsync(project, key, cancellationToken).ConfigureAwait(false);
        return budget is null ? NoBudget(project, key) : TypedResults.Ok(BudgetDto.From(budget));
    }

    private static async Task<IResult> ReserveAsync(
        string project, HttpContext context, IBudgetStore store, TimeProvider time, IOptions<BudgetServerOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        (ReserveRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.ReserveRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (CheckExpiry(request!.ExpiresAt, time, options.Value) is { } badExpiry)
        {
            return badExpiry;
        }

        BudgetReservationResult result;
        try
        {
            result = await store.ReserveAsync(project, request.Keys, request.ToUsage(), request.ReservationId, request.ExpiresAt, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return StoreRefused(loggers, "a reservation", project, ex);
        }

        return result.Status == BudgetReservationStatus.Conflict
            ? IdConflict(result.Conflict, project, "reservationId", request.ReservationId)
            : TypedResults.Ok(ReserveResponse.From(result));
    }

    private static async Task<IResult> SettleAsync(string project, HttpContext context, IBudgetStore store, ProjectAlertWebhooks webhooks, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        (SettleRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.SettleRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        BudgetCompletion completion;
        try
        {
            completion = await store.SettleAsync(project, request!.ReservationId, request.ToUsage(), cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return StoreRefused(loggers, "a settle", project, ex);
        }

        await webhooks.PublishAsync(project, completion.Alerts).ConfigureAwait(false);
        return Completion(completion, project, request.ReservationId);
    }

    private static async Task<IResult> ReleaseAsync(string project, HttpContext context, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        (ReleaseRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.ReleaseRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        BudgetCompletion completion = await store.ReleaseAsync(project, request!.ReservationId, cancellationToken).ConfigureAwait(false);
        return Completion(completion, project, request.ReservationId);
    }

    private static async Task<IResult> RenewAsync(
        string project, HttpContext context, IBudgetStore store, TimeProvider time, IOptions<BudgetServerOptions> options, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        (RenewRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.RenewRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (CheckExpiry(request!.ExpiresAt, time, options.Value) is { } badExpiry)
        {
            return badExpiry;
        }

        BudgetRenewalStatus status = await store.RenewAsync(project, request.ReservationId, request.ExpiresAt, cancellationToken).ConfigureAwait(false);
        return status == BudgetRenewalStatus.NotFound
            ? Problems.NotFound($"No reservation '{request.ReservationId}' is known in project '{project}' (never made, or forgotten after its retention); nothing changed.", "reservationId", request.ReservationId)
            : TypedResults.Ok(new RenewResponse(status));
    }

    private static async Task<IResult> ChargeAsync(string project, HttpContext context, IBudgetStore store, ProjectAlertWebhooks webhooks, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        (ChargeRequest? request, IResult? error) = await RequestReader.Wire.ReadAsync(context, WireJsonContext.Default.ChargeRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        try
        {
            BudgetCompletion completion = await store.ChargeAsync(project, request!.Keys, request.ToUsage(), request.ChargeId, cancellationToken).ConfigureAwait(false);
            await webhooks.PublishAsync(project, completion.Alerts).ConfigureAwait(false);
            return completion.Status == BudgetCompletionStatus.Conflict
                ? IdConflict(completion.Conflict, project, "chargeId", request.ChargeId)
                : TypedResults.Ok(CompletionDto.From(completion));
        }
        catch (BudgetNotFoundException ex)
        {
            string key = ex.Key ?? string.Empty;
            return Problems.NotFound($"No budget exists for '{key}' in project '{project}'; nothing was charged.", "key", key);
        }
        catch (ArgumentException ex)
        {
            return StoreRefused(loggers, "a charge", project, ex);
        }
    }

    private static async Task<IResult> SweepAsync(string project, IBudgetStore store, CancellationToken cancellationToken)
    {
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        return await SweepAllAsync(store, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> SweepAllAsync(IBudgetStore store, CancellationToken cancellationToken)
    {
        int rolled = await store.SweepAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new SweepResponse(rolled));
    }

    // ---------------------------------------------------------------- helpers

    internal static IResult? CheckProject(string project) =>
        ProjectName.Validate(project) is { } problem ? Problems.Validation("project", $"The project is not valid: {problem}") : null;

    private static IResult? CheckProjectAndKey(string project, HttpRequest request, out string key)
    {
        key = string.Empty;
        if (CheckProject(project) is { } invalid)
        {
            return invalid;
        }

        Microsoft.Extensions.Primitives.StringValues values = request.Query["key"];
        string? problem = values.Count switch
        {
            0 => "The query parameter 'key' is required (?key=user%3A1234).",
            > 1 => "The query parameter 'key' appears more than once.",
            _ when string.IsNullOrWhiteSpace(values[0]) => "The query parameter 'key' must not be blank.",
            _ when values[0]!.Length > WireLimits.MaxIdLength => $"The query parameter 'key' is longer than {WireLimits.MaxIdLength} characters.",
            _ => null,
        };
        if (problem is not null)
        {
            return Problems.Validation("key", problem);
        }

        key = values[0]!;
        return null;
    }

    // A client with a wrong clock must not hold money for nothing (an expiry already past) or for ever (one far ahead).
    private static IResult? CheckExpiry(DateTimeOffset expiresAt, TimeProvider time, BudgetServerOptions options)
    {
        DateTimeOffset now = time.GetUtcNow();
        return expiresAt <= now
            ? Problems.Validation("expiresAt", $"The expiry {expiresAt:O} is not in the future (the service's clock reads {now:O}); check the client's clock.")
            : expiresAt - now > options.MaxReservationDuration
            ? Problems.Validation("expiresAt", $"The expiry {expiresAt:O} is more than {options.MaxReservationDuration} ahead of the service's clock ({now:O}), the longest a reservation may hold (BudgetServer:MaxReservationDuration); renew long calls instead.")
            : null;
    }

    private static IResult NoBudget(string project, string key) =>
        Problems.NotFound($"No budget exists for '{key}' in project '{project}'.", "key", key);

    private static IResult Completion(BudgetCompletion completion, string project, string reservationId) => completion.Status switch
    {
        BudgetCompletionStatus.NotFound => Problems.NotFound(
            $"No reservation '{reservationId}' is known in project '{project}' (never made, or forgotten after its retention); nothing changed.", "reservationId", reservationId),
        BudgetCompletionStatus.Conflict => IdConflict(completion.Conflict, project, "reservationId", reservationId),
        _ => TypedResults.Ok(CompletionDto.From(completion)),
    };

    // 409: the id is used for something else, and nothing changed.
    private static IResult IdConflict(BudgetConflict conflict, string project, string idName, string id)
    {
        string what = conflict switch
        {
            BudgetConflict.Reserved => "is an active reservation (reserving it again must repeat its amount and keys; a charge needs an id of its own)",
            BudgetConflict.Expired => "is a reservation that expired (settle or release it; a new call needs a new id)",
            BudgetConflict.Settled => "is a reservation already settled (settling it again must repeat its cost)",
            BudgetConflict.Released => "is a reservation already released, so nothing can be charged to it",
            BudgetConflict.Charged => "is a charge already made (charging it again must repeat its amount and keys)",
            _ => "has already ended",
        };
        return Problems.Conflict($"The id '{id}' in project '{project}' {what}; nothing changed.", idName, id, conflict);
    }

    internal static IResult StoreRefused(ILoggerFactory loggers, string operation, string project, ArgumentException ex)
    {
        // Input the fields allowed but the store's state does not (an ended reservation id reused, a charge id that is an
        // open reservation's): a 400 naming the field, and, as the store guarantees, nothing changed.
        string message = ex.ParamName is null ? ex.Message : $"'{ex.ParamName}': " + ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
        BudgetServerLog.StoreRefused(loggers.CreateLogger(typeof(BudgetEndpoints).FullName!), operation, project, message);
        return Problems.Validation(ex.ParamName ?? "body", message);
    }
}
