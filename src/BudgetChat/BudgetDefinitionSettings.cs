namespace BudgetChat;

/// <summary>
/// A <see cref="BudgetDefinition"/> as configuration holds it (for example a section of <c>appsettings.json</c>), turned
/// into one by <see cref="ToDefinition"/>. Used by <see cref="BudgetingChatClientOptions.UserBudget"/> and
/// <see cref="BudgetingChatClientOptions.GlobalBudget"/>.
/// </summary>
/// <example>
/// <code language="json">
/// "UserBudget": {
///   "Limits": [
///     { "Amount": 50, "Period": "Monthly" },
///     { "Amount": 5, "Period": "Daily" },
///     { "Amount": 100000, "Unit": "Tokens", "Period": "Minutely" },
///     { "Amount": 10, "Period": "Monthly", "Models": [ "premium" ] }
///   ],
///   "AlertThresholds": [ 0.8, 1.0 ],
///   "Enforcement": "Observe"
/// }
/// </code>
/// </example>
/// <remarks>Not thread-safe while being configured.</remarks>
public sealed class BudgetDefinitionSettings
{
    /// <summary>Gets the limits; the first is the main limit, in dollars on every model.</summary>
    public List<BudgetLimitSettings> Limits { get; } = [];

    /// <summary>Gets the alert thresholds, as fractions of each dollar limit.</summary>
    public List<decimal> AlertThresholds { get; } = [];

    /// <summary>Gets or sets whether calls that do not fit are refused or only reported.</summary>
    public BudgetEnforcement Enforcement { get; set; }

    /// <summary>Builds the definition, expanding model group names.</summary>
    /// <param name="modelGroups">Named groups of model patterns (<see cref="BudgetingChatClientOptions.ModelGroups"/>): a limit's model that names one stands for its patterns.</param>
    /// <param name="setting">The path of these settings, for messages (for example <c>BudgetChat:UserBudget</c>).</param>
    /// <returns>The definition.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it by its path.</exception>
    public BudgetDefinition ToDefinition(IReadOnlyDictionary<string, List<string>>? modelGroups, string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        if (Limits.Count == 0)
        {
            throw new ArgumentException($"{setting}:Limits is empty; a budget has at least one limit, the first in dollars on every model.", setting);
        }

        var limits = new BudgetLimit[Limits.Count];
        for (int i = 0; i < limits.Length; i++)
        {
            string at = $"{setting}:Limits:{i}";
            limits[i] = (Limits[i] ?? throw new ArgumentException($"{at} is empty.", setting)).ToLimit(modelGroups, at);
        }

        try
        {
            return new BudgetDefinition(limits, AlertThresholds, Enforcement);
        }
        catch (ArgumentException ex)
        {
            string name = ex.ParamName switch
            {
                "alertThresholds" => nameof(AlertThresholds),
                "enforcement" => nameof(Enforcement),
                _ => nameof(Limits),
            };
            throw new ArgumentException($"{setting}:{name}: {FirstSentence(ex.Message)}", setting, ex);
        }
    }

    // ArgumentException appends " (Parameter 'x')"; the setting's path says it better.
    internal static string FirstSentence(string message)
    {
        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter < 0 ? message : message[..parameter];
    }
}

/// <summary>One <see cref="BudgetLimit"/> as configuration holds it.</summary>
/// <remarks>Not thread-safe while being configured.</remarks>
public sealed class BudgetLimitSettings
{
    /// <summary>Gets or sets the most one window allows, in <see cref="Unit"/>.</summary>
    public decimal Amount { get; set; }

    /// <summary>Gets or sets what the limit counts. Defaults to dollars.</summary>
    public BudgetUnit Unit { get; set; }

    /// <summary>Gets or sets how often the window starts again. Defaults to never.</summary>
    public BudgetPeriod Period { get; set; }

    /// <summary>Gets or sets whether windows follow the calendar or count from the last reset. Defaults to the calendar.</summary>
    public BudgetWindowAlignment Alignment { get; set; }

    /// <summary>Gets the models the limit applies to: ids, prefixes ending in <c>*</c>, or names of model groups; empty for every model.</summary>
    public List<string> Models { get; } = [];

    /// <summary>Gets or sets the limit's name; by default made of its period, unit and models, or the group's name when <see cref="Models"/> is one group.</summary>
    public string? Name { get; set; }

    /// <summary>Builds the limit, expanding model group names.</summary>
    /// <param name="modelGroups">Named groups of model patterns.</param>
    /// <param name="setting">The path of these settings, for messages.</param>
    /// <returns>The limit.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it by its path.</exception>
    public BudgetLimit ToLimit(IReadOnlyDictionary<string, List<string>>? modelGroups, string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        var patterns = new List<string>();
        string? group = null;
        foreach (string model in Models)
        {
            if (model is not null && modelGroups is not null && modelGroups.TryGetValue(model, out List<string>? members))
            {
                patterns.AddRange(members);
                group = Models.Count == 1 ? model : null;
            }
            else
            {
                patterns.Add(model!);
            }
        }

        try
        {
            return new BudgetLimit(Amount, Period, Alignment, Unit, patterns.Count == 0 ? null : patterns, Name ?? group);
        }
        catch (ArgumentException ex)
        {
            string name = ex.ParamName switch
            {
                "amount" => nameof(Amount),
                "period" => nameof(Period),
                "alignment" => nameof(Alignment),
                "unit" => nameof(Unit),
                "models" => nameof(Models),
                _ => nameof(Name),
            };
            throw new ArgumentException($"{setting}:{name}: {BudgetDefinitionSettings.FirstSentence(ex.Message)}", setting, ex);
        }
    }
}
