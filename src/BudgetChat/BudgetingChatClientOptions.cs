using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>Options of <see cref="BudgetingChatClient"/>.</summary>
/// <remarks>
/// The rules are the data annotations on the properties (and <see cref="IValidatableObject.Validate"/> for the one they
/// cannot express), checked by a source-generated validator: at start in a container, and by <see cref="Validate()"/>.
/// Not thread-safe while being configured.
/// </remarks>
public sealed class BudgetingChatClientOptions : IValidatableObject
{
    /// <summary>The default of <see cref="ProjectName"/>.</summary>
    public const string DefaultProjectName = "default";

    /// <summary>Initializes a new instance of the <see cref="BudgetingChatClientOptions"/> class with the defaults.</summary>
    public BudgetingChatClientOptions()
    {
    }

    private BudgetingChatClientOptions(BudgetingChatClientOptions other)
    {
        ProjectName = other.ProjectName;
        MaxBudget = other.MaxBudget;
        GlobalBudgetPeriod = other.GlobalBudgetPeriod;
        DefaultUserBudget = other.DefaultUserBudget;
        RequireUser = other.RequireUser;
        UserIdResolver = other.UserIdResolver;
        AdditionalKeysResolver = other.AdditionalKeysResolver;
        Mode = other.Mode;
        StoreFailureMode = other.StoreFailureMode;
        DefaultModelId = other.DefaultModelId;
        MaxOutputTokensCap = other.MaxOutputTokensCap;
        ReduceMaxOutputTokensToFit = other.ReduceMaxOutputTokensToFit;
        MinimumOutputTokens = other.MinimumOutputTokens;
        ReservationTimeout = other.ReservationTimeout;
        Enforcement = other.Enforcement;
        RecordSpend = other.RecordSpend;
        CheaperModels = other.CheaperModels.ToDictionary(p => p.Key, p => new List<string>(p.Value), StringComparer.OrdinalIgnoreCase);
        DowngradeBelowRemainingShare = other.DowngradeBelowRemainingShare;
        OnModelDowngraded = other.OnModelDowngraded;
        ModelClients = new Dictionary<string, IChatClient>(other.ModelClients, StringComparer.OrdinalIgnoreCase);
        UserBudget = other.UserBudget;
        GlobalBudget = other.GlobalBudget;
        ModelGroups = other.ModelGroups.ToDictionary(p => p.Key, p => new List<string>(p.Value), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Gets or sets the project every budget key is scoped to, so that apps sharing a store never see each
    /// other's budgets. The same name <c>BudgetManager</c> takes. Defaults to <c>default</c>.
    /// </summary>
    [Required]
    public string ProjectName { get; set; } = DefaultProjectName;

    /// <summary>
    /// Gets or sets the global budget of the project in US dollars, charged by every call whoever makes it
    /// (LiteLLM's <c>litellm.max_budget</c>), or <see langword="null"/> (the default) for none.
    /// </summary>
    [Range(typeof(decimal), "0", "79228162514264337593543950335")]
    public decimal? MaxBudget { get; set; }

    /// <summary>Gets or sets how often the global budget resets. Defaults to <see cref="BudgetPeriod.None"/>.</summary>
    [EnumDataType(typeof(BudgetPeriod))]
    public BudgetPeriod GlobalBudgetPeriod { get; set; }

    /// <summary>
    /// Gets or sets the budget created for a user on their first call, or <see langword="null"/> (the default)
    /// to refuse calls of users without a budget.
    /// </summary>
    public BudgetDefinition? DefaultUserBudget { get; set; }

    /// <summary>
    /// Gets or sets, from configuration, the budget created for a user on their first call: the same as
    /// <see cref="DefaultUserBudget"/> (set one or the other), with every policy (several limits, tokens, requests,
    /// per-model caps naming <see cref="ModelGroups"/>, observe). <see langword="null"/> (the default) for none.
    /// </summary>
    public BudgetDefinitionSettings? UserBudget { get; set; }

    /// <summary>
    /// Gets or sets, from configuration, the project's global budget, charged by every call: instead of
    /// <see cref="MaxBudget"/> and <see cref="GlobalBudgetPeriod"/> (set one or the other), with every policy.
    /// <see langword="null"/> (the default) for none.
    /// </summary>
    public BudgetDefinitionSettings? GlobalBudget { get; set; }

    /// <summary>
    /// Gets named groups of model patterns (for example <c>premium = [gpt-4o, o3, claude-opus-*]</c>) that the limits of
    /// <see cref="UserBudget"/> and <see cref="GlobalBudget"/> may name in their <c>Models</c>. Names are compared without regard to case.
    /// </summary>
    public Dictionary<string, List<string>> ModelGroups { get; private set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets a value indicating whether a call without a user id is refused. When <see langword="false"/>
    /// (the default) such a call is charged to the global budget only.
    /// </summary>
    public bool RequireUser { get; set; }

    /// <summary>
    /// Gets or sets a resolver for the user id when the call's <see cref="Microsoft.Extensions.AI.ChatOptions"/>
    /// carry none (neither <see cref="Microsoft.Extensions.AI.ChatOptionsBudgetExtensions.WithBudgetUser"/> nor an <c>user</c> additional
    /// property). Return <see langword="null"/> for no user.
    /// </summary>
    public Func<BudgetCallContext, string?>? UserIdResolver { get; set; }

    /// <summary>
    /// Gets or sets a resolver of more budget keys to charge with the user's and the global one (for example
    /// <c>team:search</c>). Every key is reserved together, all or none; each must have a budget.
    /// </summary>
    public Func<BudgetCallContext, IEnumerable<string>>? AdditionalKeysResolver { get; set; }

    /// <summary>Gets or sets how calls are admitted. Defaults to <see cref="BudgetEnforcementMode.Reservation"/>.</summary>
    [EnumDataType(typeof(BudgetEnforcementMode))]
    public BudgetEnforcementMode Mode { get; set; }

    /// <summary>
    /// Gets or sets what happens to a call when the budget store cannot be reached (it throws
    /// <see cref="BudgetStoreUnavailableException"/>). Defaults to <see cref="BudgetStoreFailureMode.FailClosed"/>.
    /// </summary>
    [EnumDataType(typeof(BudgetStoreFailureMode))]
    public BudgetStoreFailureMode StoreFailureMode { get; set; }

    /// <summary>
    /// Gets or sets the model to price calls with when neither <see cref="Microsoft.Extensions.AI.ChatOptions.ModelId"/>
    /// nor the inner client's <see cref="Microsoft.Extensions.AI.ChatClientMetadata.DefaultModelId"/> names one.
    /// </summary>
    public string? DefaultModelId { get; set; }

    /// <summary>
    /// Gets or sets the output tokens assumed for a call that sets no <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/>
    /// when the price catalog does not know the model's maximum; the call's <c>MaxOutputTokens</c> is set to it so
    /// the bound holds. Defaults to 4,096.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxOutputTokensCap { get; set; } = 4_096;

    /// <summary>
    /// Gets or sets a value indicating whether a call whose worst case does not fit is sent with a lower
    /// <c>MaxOutputTokens</c> that fits, instead of being refused, when at least <see cref="MinimumOutputTokens"/>
    /// remain. Defaults to <see langword="true"/>.
    /// </summary>
    public bool ReduceMaxOutputTokensToFit { get; set; } = true;

    /// <summary>Gets or sets the fewest output tokens worth sending a reduced call for. Defaults to 16.</summary>
    [Range(1, int.MaxValue)]
    public int MinimumOutputTokens { get; set; } = 16;

    /// <summary>
    /// Gets or sets how long a reservation lives if the process dies before settling it; the store reclaims it
    /// after that. Longer than the slowest call. Defaults to 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", MinimumIsExclusive = true)]
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets whether calls that do not fit a budget are refused, or go ahead and are reported as ones that would
    /// have been refused (<see cref="BudgetEnforcement.Observe"/>: held and charged as usual, logged, and counted with the
    /// outcome <c>would_refuse</c>), whatever each budget's own <see cref="BudgetDefinition.Enforcement"/>. Defaults to
    /// <see cref="BudgetEnforcement.Enforce"/>.
    /// </summary>
    [EnumDataType(typeof(BudgetEnforcement))]
    public BudgetEnforcement Enforcement { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether each call leaves a record in the store's spend ledger when the store keeps
    /// one (<see cref="IBudgetSpendLog"/>): who, which model, the tokens, the cost, how it ended, how long it took and its
    /// trace id. Charged calls are recorded with their settle; refused and released ones are appended. Defaults to
    /// <see langword="true"/>.
    /// </summary>
    public bool RecordSpend { get; set; } = true;

    /// <summary>
    /// Gets the cheaper-model ladder: per model asked for, the models to try in order when a call does not fit (each with
    /// its output reduced to fit when <see cref="ReduceMaxOutputTokensToFit"/>), for example <c>gpt-4o → [gpt-4o-mini]</c>.
    /// A call is refused only when the last step does not fit either. Keys are compared without regard to case. Used in
    /// <see cref="BudgetEnforcementMode.Reservation"/> mode (check-then-charge admits or refuses on spend alone).
    /// </summary>
    public Dictionary<string, List<string>> CheaperModels { get; private set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets the share of a budget's main limit (0 to 1) under which a call on a model with cheaper steps in
    /// <see cref="CheaperModels"/> goes to the next step right away, before the budget runs out; <see langword="null"/> (the
    /// default) to step down only when a call does not fit.
    /// </summary>
    [Range(typeof(decimal), "0", "1")]
    public decimal? DowngradeBelowRemainingShare { get; set; }

    /// <summary>
    /// Gets the clients that calls the ladder moves to a model go through, keyed by model id, instead of the inner client:
    /// for a step served by another provider or a local model. A model without an entry is called through the inner client.
    /// </summary>
    public Dictionary<string, IChatClient> ModelClients { get; private set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets a callback for every call the ladder sent to a cheaper model, called in the caller's execution context
    /// before the model is (the ASP.NET Core package turns it into a response header); an exception it throws is logged.
    /// </summary>
    public Action<BudgetModelDowngrade>? OnModelDowngraded { get; set; }

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate() => OptionsValidation.ThrowIfFailed(new BudgetingChatClientOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (DefaultModelId is not null && string.IsNullOrWhiteSpace(DefaultModelId))
        {
            yield return new ValidationResult(
                $"{nameof(BudgetingChatClientOptions)}.{nameof(DefaultModelId)} must be null or a model id, not blank.", [nameof(DefaultModelId)]);
        }

        if (UserBudget is not null && DefaultUserBudget is not null)
        {
            yield return new ValidationResult(
                $"{nameof(BudgetingChatClientOptions)}.{nameof(UserBudget)} and {nameof(DefaultUserBudget)} are both set; set one (UserBudget from configuration, DefaultUserBudget in code).", [nameof(UserBudget)]);
        }

        if (GlobalBudget is not null && MaxBudget is not null)
        {
            yield return new ValidationResult(
                $"{nameof(BudgetingChatClientOptions)}.{nameof(GlobalBudget)} and {nameof(MaxBudget)} are both set; set one.", [nameof(GlobalBudget)]);
        }

        foreach ((string name, BudgetDefinitionSettings? settings) in new[] { (nameof(UserBudget), UserBudget), (nameof(GlobalBudget), GlobalBudget) })
        {
            string? error = null;
            try
            {
                settings?.ToDefinition(ModelGroups, $"{nameof(BudgetingChatClientOptions)}.{name}");
            }
            catch (ArgumentException ex)
            {
                error = BudgetDefinitionSettings.FirstSentence(ex.Message);
            }

            if (error is not null)
            {
                yield return new ValidationResult(error, [name]);
            }
        }

        foreach ((string model, List<string> steps) in CheaperModels)
        {
            string name = $"{nameof(BudgetingChatClientOptions)}.{nameof(CheaperModels)}:{model}";
            if (string.IsNullOrWhiteSpace(model))
            {
                yield return new ValidationResult($"{nameof(BudgetingChatClientOptions)}.{nameof(CheaperModels)} has a blank model id as a key.", [nameof(CheaperModels)]);
            }
            else if (steps is null || steps.Count == 0)
            {
                yield return new ValidationResult($"{name} names no cheaper model; give at least one, or remove the entry.", [nameof(CheaperModels)]);
            }
            else if (steps.FindIndex(string.IsNullOrWhiteSpace) is var blank and >= 0)
            {
                yield return new ValidationResult($"{name}:{blank} is blank; every step is a model id.", [nameof(CheaperModels)]);
            }
            else if (steps.Prepend(model).Distinct(StringComparer.OrdinalIgnoreCase).Count() != steps.Count + 1)
            {
                yield return new ValidationResult($"{name} names a model twice (or the model itself); each step is another model.", [nameof(CheaperModels)]);
            }
        }

        foreach ((string model, IChatClient client) in ModelClients)
        {
            if (string.IsNullOrWhiteSpace(model) || client is null)
            {
                yield return new ValidationResult($"{nameof(BudgetingChatClientOptions)}.{nameof(ModelClients)} maps every model id (not blank) to a client (not null).", [nameof(ModelClients)]);
            }
        }
    }

    /// <summary>Copies the options, so a client keeps its own even if the original changes later.</summary>
    /// <returns>The copy.</returns>
    internal BudgetingChatClientOptions Clone() => new(this);

    /// <summary>The global budget these options describe: <see cref="GlobalBudget"/>, or <see cref="MaxBudget"/> per <see cref="GlobalBudgetPeriod"/>, or none.</summary>
    internal BudgetDefinition? GetGlobalBudget() =>
        GlobalBudget?.ToDefinition(ModelGroups, $"{nameof(BudgetingChatClientOptions)}.{nameof(GlobalBudget)}")
        ?? (MaxBudget is { } max ? new BudgetDefinition(max, GlobalBudgetPeriod) : null);

    /// <summary>The budget created for a new user: <see cref="DefaultUserBudget"/> or <see cref="UserBudget"/>, or none.</summary>
    internal BudgetDefinition? GetUserBudget() =>
        DefaultUserBudget ?? UserBudget?.ToDefinition(ModelGroups, $"{nameof(BudgetingChatClientOptions)}.{nameof(UserBudget)}");
}
