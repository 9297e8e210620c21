using System.Security.Claims;
using BudgetChat.Http.Wire;
using BudgetChat.LiteLlm;
using BudgetChat.Server.Authentication;
using BudgetChat.Server.Hosting;
using BudgetChat.Server.Http;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Endpoints;

/// <summary>
/// LiteLLM's hosted <c>BudgetManager</c> routes, <c>POST /get_budget</c> and <c>POST /set_budget</c>, over the same
/// store, in LiteLLM's <c>user_dict</c> shape (durations in days, times in Unix seconds).
/// </summary>
/// <remarks>
/// <c>/set_budget</c> replaces the project's budgets in one transaction of the store
/// (<see cref="ITransactionalBudgetStore.UpdateProjectAsync"/>): a request is stored whole or not at all, even if the
/// service is killed half way, and no other operation on the project runs in between. Spend charged through
/// <c>/v1</c> before it is overwritten, exactly as LiteLLM's own last-writer-wins save. A store without transactions
/// answers 501. This type is thread-safe.
/// </remarks>
internal sealed class LiteLlmEndpoints
{
    private static readonly TimeSpan SameInstant = TimeSpan.FromMilliseconds(1);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup(string.Empty)
            .RequireAuthorization(ProjectAccess.CallerPolicy)
            .WithTags("LiteLLM compatibility")
            .WithMetadata(LiteLlmErrorWriter.Produces(StatusCodes.Status400BadRequest), LiteLlmErrorWriter.Produces(StatusCodes.Status401Unauthorized),
                LiteLlmErrorWriter.Produces(StatusCodes.Status403Forbidden), LiteLlmErrorWriter.Produces(StatusCodes.Status413PayloadTooLarge));

        group.MapPost("/get_budget", GetBudgetAsync)
            .WithName("LiteLlmGetBudget").WithSummary("LiteLLM BudgetManager (hosted): the project's user_dict.")
            .RequireAuthorization(ProjectAccess.EnforcePolicy)
            .Accepts<LiteLlmProjectRequest>("application/json")
            .Produces<LiteLlmGetBudgetResponse>();

        group.MapPost("/set_budget", SetBudgetAsync)
            .WithName("LiteLlmSetBudget").WithSummary("LiteLLM BudgetManager (hosted): replaces the project's budgets with a user_dict.")
            .RequireAuthorization(ProjectAccess.AdminPolicy)
            .Accepts<LiteLlmSetBudgetRequest>("application/json")
            .Produces<LiteLlmStatusResponse>()
            .WithMetadata(LiteLlmErrorWriter.Produces(StatusCodes.Status501NotImplemented));
    }

    private static async Task<IResult> GetBudgetAsync(HttpContext context, IBudgetStore store, CancellationToken cancellationToken)
    {
        (LiteLlmProjectRequest? request, IResult? error) = await RequestReader.LiteLlm.ReadAsync(context, LiteLlmJsonContext.Default.LiteLlmProjectRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var errors = new ValidationErrors();
        string project = request!.ProjectName;
        CheckProject(project, errors);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        if (Refuse(context.User, project) is { } forbidden)
        {
            return forbidden;
        }

        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false);
        if (budgets.Count == 0)
        {
            return TypedResults.Ok(new LiteLlmStatusResponse("error", $"Project '{project}' has no budgets."));
        }

        var data = new Dictionary<string, LiteLlmUserBudget>(budgets.Count, StringComparer.Ordinal);
        foreach (BudgetState budget in budgets)
        {
            data[LiteLlmUserDict.ToName(budget.Key)] = new LiteLlmUserBudget(
                budget.Limit,
                budget.Definition.Period == BudgetPeriod.None ? null : LiteLlmUserDict.DurationDays(budget.Definition.Period),
                LiteLlmUserDict.ToUnixSeconds(budget.CreatedAt),
                LiteLlmUserDict.ToUnixSeconds(budget.WindowStart), // LiteLLM's last reset, which its rolling windows count from
                budget.Spent,
                budget.SpendByModel);
        }

        return TypedResults.Ok(new LiteLlmGetBudgetResponse("success", data));
    }

    private static async Task<IResult> SetBudgetAsync(HttpContext context, IBudgetStore store, ILogger<LiteLlmEndpoints> logger, CancellationToken cancellationToken)
    {
        (LiteLlmSetBudgetRequest? request, IResult? error) = await RequestReader.LiteLlm.ReadAsync(context, LiteLlmJsonContext.Default.LiteLlmSetBudgetRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var errors = new ValidationErrors();
        string project = request!.ProjectName;
        CheckProject(project, errors);
        if (!errors.HasErrors && Refuse(context.User, project) is { } forbidden)
        {
            return forbidden;
        }

        List<UserEntry> entries = ReadUsers(request.UserDict, errors);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        if (store is not ITransactionalBudgetStore transactional)
        {
            // Written budget by budget, a request interrupted half way would leave some users old and some new.
            BudgetServerLog.SetBudgetNeedsTransactions(logger, store.GetType().Name);
            return Problems.NotImplemented(
                $"'/set_budget' needs a store that applies many changes in one transaction (ITransactionalBudgetStore, such as the SQLite store); the service's store ({store.GetType().Name}) does not.");
        }

        // Not cancelled once started: the dict is written as a whole, in one transaction, even if the caller goes away.
        (int written, int unchanged, int deleted) = await transactional.UpdateProjectAsync(project, entries, Apply, cancellationToken).ConfigureAwait(false);
        BudgetServerLog.LiteLlmSetBudget(logger, project, written, unchanged, deleted);
        return TypedResults.Ok(new LiteLlmStatusResponse("success", null));
    }

    /// <summary>Replaces the project's budgets with the dict's, on the ledger, under the store's transaction.</summary>
    private static (int Written, int Unchanged, int Deleted) Apply(BudgetLedger ledger, List<UserEntry> entries, DateTimeOffset now)
    {
        Dictionary<string, BudgetState> existing = ledger.List(now).ToDictionary(b => b.Key, StringComparer.Ordinal);
        var wanted = new HashSet<string>(entries.Select(e => e.Key), StringComparer.Ordinal);
        int deleted = 0;
        foreach (string key in existing.Keys)
        {
            if (!wanted.Contains(key) && ledger.Delete(key, now))
            {
                deleted++;
            }
        }

        int written = 0;
        int unchanged = 0;
        foreach (UserEntry entry in entries)
        {
            existing.TryGetValue(entry.Key, out BudgetState? state);

            // LiteLLM knows neither alignment nor alert thresholds: keep the budget's own, and count LiteLLM's
            // windows from its last reset (rolling) for a budget it creates or whose period it changes.
            BudgetWindowAlignment alignment = entry.Period == BudgetPeriod.None
                ? BudgetWindowAlignment.Calendar
                : state is not null && state.Definition.Period == entry.Period ? state.Definition.Alignment : BudgetWindowAlignment.Rolling;
            var definition = new BudgetDefinition(entry.Limit, entry.Period, alignment, state?.Definition.AlertThresholds);
            DateTimeOffset? anchor = entry.Period != BudgetPeriod.None && alignment == BudgetWindowAlignment.Rolling ? entry.LastUpdatedAt ?? entry.CreatedAt : null;
            List<(string? Model, decimal Amount)> charges = PlanCharges(entry);

            if (state is null)
            {
                DateTimeOffset? createdAt = entry.CreatedAt ?? anchor;
                ledger.Set(entry.Key, definition, createdAt, now);
                if (anchor is { } start && start != createdAt)
                {
                    ledger.Set(entry.Key, definition, start, now);
                }

                Charge(ledger, entry.Key, charges, now);
                written++;
                continue;
            }

            bool spendMatches = state.Spent == entry.CurrentCost && SameSpendByModel(state.SpendByModel, charges);
            bool windowMatches = anchor is not { } wantedStart || (wantedStart - state.WindowStart).Duration() < SameInstant;
            if (spendMatches && windowMatches && state.Definition.Equals(definition))
            {
                unchanged++;
                continue;
            }

            if (!spendMatches)
            {
                // Reset moves a rolling window to now: the definition is set again after it, with LiteLLM's start.
                ledger.Reset(entry.Key, now);
            }

            ledger.Set(entry.Key, definition, anchor, now);
            if (!spendMatches)
            {
                Charge(ledger, entry.Key, charges, now);
            }

            written++;
        }

        return (written, unchanged, deleted);
    }

    /// <summary>
    /// Splits <c>current_cost</c> into charges per model of <c>model_cost</c>, in order, never more in total than
    /// <c>current_cost</c>; what no model accounts for is charged without a model. The spend is then exactly <c>current_cost</c>.
    /// </summary>
    private static List<(string? Model, decimal Amount)> PlanCharges(UserEntry entry)
    {
        var charges = new List<(string?, decimal)>();
        decimal left = entry.CurrentCost;
        foreach ((string model, decimal cost) in entry.ModelCost)
        {
            decimal amount = Math.Min(cost, left);
            if (amount > 0m)
            {
                charges.Add((model, amount));
                left -= amount;
            }
        }

        if (left > 0m)
        {
            charges.Add((null, left));
        }

        return charges;
    }

    private static bool SameSpendByModel(IReadOnlyDictionary<string, decimal> spend, List<(string? Model, decimal Amount)> charges)
    {
        int models = 0;
        foreach ((string? model, decimal amount) in charges)
        {
            if (model is null)
            {
                continue;
            }

            models++;
            if (!spend.TryGetValue(model, out decimal spent) || spent != amount)
            {
                return false;
            }
        }

        return spend.Count(p => p.Value != 0m) == models;
    }

    private static void Charge(BudgetLedger ledger, string key, List<(string? Model, decimal Amount)> charges, DateTimeOffset now)
    {
        foreach ((string? model, decimal amount) in charges)
        {
            ledger.Charge([key], amount, model, $"litellm-set-budget:{Guid.NewGuid():N}", now);
        }
    }

    private static void CheckProject(string project, ValidationErrors errors)
    {
        if (ProjectName.Validate(project) is { } problem)
        {
            errors.Add("project_name", $"'project_name' is not valid: {problem}");
        }
    }

    private static IResult? Refuse(ClaimsPrincipal user, string project) =>
        !ProjectAccess.Allows(user, project) ? Problems.Forbidden($"The API key is not valid for project '{project}'.") : null;

    /// <summary>Checks the names the serializer cannot (user names, their budget keys, model ids) and maps the entries to budgets.</summary>
    private static List<UserEntry> ReadUsers(IReadOnlyDictionary<string, LiteLlmUserEntry> userDict, ValidationErrors errors)
    {
        var entries = new List<UserEntry>(userDict.Count);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, LiteLlmUserEntry entry) in userDict)
        {
            string field = $"user_dict.{name}";
            string key = LiteLlmUserDict.ToKey(name);
            if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(key))
            {
                errors.Add(field, $"'{field}': a user name must not be blank.");
            }
            else if (name == LiteLlmUserDict.MetadataName)
            {
                // As in user_cost.json, where this name is reserved: the user is written escaped.
                errors.Add(field, $"'{field}': the name '{name}' is reserved; the user '{name}' is '{LiteLlmUserDict.ToName(BudgetKeys.UserPrefix + name)}'.");
            }
            else if (key.Length > WireLimits.MaxIdLength)
            {
                errors.Add(field, $"'{field}': the budget key of this user is longer than {WireLimits.MaxIdLength} characters.");
            }
            else if (!keys.Add(key))
            {
                errors.Add(field, $"'{field}' is the budget '{key}', which another user of 'user_dict' is too.");
            }

            var modelCost = new List<(string, decimal)>();
            foreach ((string model, decimal cost) in entry.ModelCost ?? new Dictionary<string, decimal>())
            {
                if (string.IsNullOrWhiteSpace(model) || model.Length > WireLimits.MaxIdLength)
                {
                    string at = $"{field}.model_cost.{model}";
                    errors.Add(at, $"'{at}': a model id must be 1 to {WireLimits.MaxIdLength} characters.");
                }

                modelCost.Add((model, cost));
            }

            entries.Add(new UserEntry(key, entry.TotalBudget, entry.Duration ?? BudgetPeriod.None, entry.CreatedAt, entry.LastUpdatedAt, entry.CurrentCost ?? 0m, modelCost));
        }

        return entries;
    }

    private sealed record UserEntry(string Key, decimal Limit, BudgetPeriod Period, DateTimeOffset? CreatedAt, DateTimeOffset? LastUpdatedAt, decimal CurrentCost, List<(string Model, decimal Cost)> ModelCost);
}
