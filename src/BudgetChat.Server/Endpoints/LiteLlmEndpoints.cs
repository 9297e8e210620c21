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
/// service is killed half way, and no other operation on the project runs in between. The dict is merged, not
/// written over: LiteLLM saves its whole dict, often an old one, so within a window spend is only ever raised to the
/// dict's, except by LiteLLM's own resets; budgets that are no user are not LiteLLM's and are left alone. A store
/// without transactions answers 501. This type is thread-safe.
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
            // LiteLLM lists every entry as a user: budgets that are no user are not its business.
            if (UserName(budget.Key) is not { } user)
            {
                continue;
            }

            // A window LiteLLM's arithmetic ends exactly where the store's does (a calendar month is not its 28 days).
            // LiteLLM knows one limit: the main one, whose window and spend these are.
            (decimal Days, DateTimeOffset LastUpdatedAt)? window = LiteLlmUserDict.ToLiteLlmWindow(budget);
            data[user] = new LiteLlmUserBudget(
                budget.Limit,
                window?.Days,
                LiteLlmUserDict.ToUnixSeconds(budget.CreatedAt),
                LiteLlmUserDict.ToUnixSeconds(window?.LastUpdatedAt ?? budget.WindowStart),
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

    /// <summary>Merges the dict into the project's user budgets, on the ledger, under the store's transaction.</summary>
    /// <remarks>The rule is the one docs/budget-service-api.md states under "How /set_budget writes".</remarks>
    private static (int Written, int Unchanged, int Deleted) Apply(BudgetLedger ledger, List<UserEntry> entries, DateTimeOffset now)
    {
        // Budgets that are no user are not in LiteLLM's dict, so missing from it says nothing about them.
        Dictionary<string, BudgetState> existing = ledger.List(now).Where(b => UserName(b.Key) is not null).ToDictionary(b => b.Key, StringComparer.Ordinal);
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

            // LiteLLM knows the main limit only, without alignment: the budget keeps its other limits, enforcement,
            // alert thresholds and alignment, and LiteLLM's windows count from its last reset (rolling) for a budget
            // it creates or whose period it changes.
            bool samePeriod = state is not null && state.Definition.Period == entry.Period;
            BudgetWindowAlignment alignment = entry.Period == BudgetPeriod.None
                ? BudgetWindowAlignment.Calendar
                : samePeriod ? state!.Definition.Alignment : BudgetWindowAlignment.Rolling;
            BudgetDefinition definition = LiteLlmUserDict.ToDefinition(state?.Definition, entry.Limit, entry.Period, alignment);
            bool rolling = entry.Period != BudgetPeriod.None && alignment == BudgetWindowAlignment.Rolling;

            // LiteLLM's window of the entry, and its reset rule: an ended window's spend is gone, a new one starts now.
            DateTimeOffset? entryStart = entry.LastUpdatedAt ?? entry.CreatedAt;
            bool ended = entry.Duration is { } duration && entryStart is { } start && LiteLlmUserDict.HasEnded(duration.Days, start, now);

            if (state is null)
            {
                DateTimeOffset? anchor = rolling ? (ended ? now : entryStart) : null;
                DateTimeOffset? createdAt = entry.CreatedAt ?? anchor;
                ledger.Set(entry.Key, definition, createdAt, now);
                if (anchor is { } windowStart && windowStart != createdAt)
                {
                    ledger.Set(entry.Key, definition, windowStart, now);
                }

                Charge(ledger, entry.Key, ended ? [] : PlanCharges(entry), now);
                written++;
                continue;
            }

            bool changed = !state.Definition.Equals(definition);
            if (ended)
            {
                // The store's window began when the entry's ended, or later: the store rolled over already, and its
                // spend is of its own window. Else the window rolls over now, as LiteLLM's reset_on_duration would.
                bool rolledOver = state.Definition.Period != BudgetPeriod.None && state.WindowStart >= entryStart!.Value.AddTicks((long)(entry.Duration!.Value.Days * TimeSpan.TicksPerDay)) - SameInstant;
                if (!rolledOver)
                {
                    ledger.Reset(entry.Key, now);
                    ledger.Set(entry.Key, definition, rolling ? now : null, now);
                    written++;
                }
                else if (changed)
                {
                    ledger.Set(entry.Key, definition, null, now);
                    written++;
                }
                else
                {
                    unchanged++;
                }

                continue;
            }

            // A rolling window moves to the entry's start when LiteLLM restarted it later than the store's window
            // start (its reset_on_duration or create_budget), or gave it another period; never to what /get_budget
            // published for the window, which is the window's own.
            DateTimeOffset? moveTo = rolling && entryStart is { } restart && (!samePeriod || (restart - state.WindowStart >= SameInstant && !IsPublished(state, entry)))
                ? restart
                : null;
            if (entry.IsReset && (state.Spent != 0m || state.SpendByModel.Any(m => m.Value != 0m)))
            {
                // LiteLLM's reset_cost (or the reset of its reset_on_duration): the only way a dict lowers spend.
                DateTimeOffset windowStart = state.WindowStart;
                ledger.Reset(entry.Key, now);
                ledger.Set(entry.Key, definition, rolling ? moveTo ?? windowStart : null, now);
                written++;
                continue;
            }

            List<(string? Model, decimal Amount)> raise = entry.IsReset ? [] : Raise(state, PlanCharges(entry));
            if (!changed && moveTo is null && raise.Count == 0)
            {
                unchanged++;
                continue;
            }

            ledger.Set(entry.Key, definition, moveTo, now);
            Charge(ledger, entry.Key, raise, now);
            written++;
        }

        return (written, unchanged, deleted);
    }

    /// <summary>Gets the name of a budget in LiteLLM's dict: users only, and never blank, which <c>/set_budget</c> refuses.</summary>
    private static string? UserName(string key) => LiteLlmUserDict.ToName(key) is { } name && !string.IsNullOrWhiteSpace(name) ? name : null;

    /// <summary>Whether the entry's window is the one <c>/get_budget</c> publishes for the budget (to the millisecond).</summary>
    private static bool IsPublished(BudgetState state, UserEntry entry) =>
        LiteLlmUserDict.ToLiteLlmWindow(state) is var (days, lastUpdatedAt)
        && entry.Duration?.Days == days
        && entry.LastUpdatedAt is { } sent
        && (sent - lastUpdatedAt).Duration() < SameInstant;

    /// <summary>
    /// The charges that raise the budget's spend to the dict's where the dict's is higher, per model and in total, and
    /// lower nothing: what another writer charged meanwhile stays.
    /// </summary>
    private static List<(string? Model, decimal Amount)> Raise(BudgetState state, List<(string? Model, decimal Amount)> planned)
    {
        var charges = new List<(string?, decimal)>();
        decimal added = 0m;
        foreach ((string? model, decimal amount) in planned)
        {
            decimal had = model is null ? 0m : state.SpendByModel.GetValueOrDefault(model);
            if (model is not null && amount > had)
            {
                charges.Add((model, amount - had));
                added += amount - had;
            }
        }

        decimal rest = planned.Sum(c => c.Amount) - state.Spent - added;
        if (rest > 0m)
        {
            charges.Add((null, rest));
        }

        return charges;
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

    private static void Charge(BudgetLedger ledger, string key, List<(string? Model, decimal Amount)> charges, DateTimeOffset now)
    {
        foreach ((string? model, decimal amount) in charges)
        {
            ledger.Charge([key], new BudgetUsage(amount, 0, model), $"litellm-set-budget:{Guid.NewGuid():N}", now);
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
        foreach ((string name, LiteLlmUserEntry? entry) in userDict)
        {
            string field = $"user_dict.{name}";
            string key = LiteLlmUserDict.ToKey(name);
            if (entry is null)
            {
                // JSON null: the serializer gives an entry no members, not even the required ones, a null.
                errors.Add(field, $"'{field}' is null; a user is an object with at least 'total_budget'.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(key))
            {
                errors.Add(field, $"'{field}': a user name must not be blank.");
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

            // What LiteLLM's reset_cost leaves: no spend, said explicitly (a new entry of create_budget has neither member).
            bool isReset = entry.CurrentCost == 0m && entry.ModelCost is { Count: 0 };
            entries.Add(new UserEntry(key, entry.TotalBudget, entry.Duration, entry.CreatedAt, entry.LastUpdatedAt, entry.CurrentCost ?? 0m, modelCost, isReset));
        }

        return entries;
    }

    private sealed record UserEntry(string Key, decimal Limit, LiteLlmDuration? Duration, DateTimeOffset? CreatedAt, DateTimeOffset? LastUpdatedAt, decimal CurrentCost, List<(string Model, decimal Cost)> ModelCost, bool IsReset)
    {
        public BudgetPeriod Period => Duration?.Period ?? BudgetPeriod.None;
    }
}
