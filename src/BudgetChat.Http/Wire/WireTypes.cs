using System.Text.Json.Serialization;

namespace BudgetChat.Http.Wire;

// The budget service's JSON (docs/budget-service-api.md), compiled into both BudgetChat.Http (the client) and
// BudgetChat.Server (linked from here), so the two sides cannot drift apart. Wire types are separate from the public
// model so that the contract cannot change by accident when a public type grows a property. A request's rules (ids,
// money, times, keys) are its properties' converters (WireConverters.cs): the server checks each value as it reads it.
// Optional members have a default; every other constructor parameter is required (RespectRequiredConstructorParameters).
// Requests refuse unknown members; responses do not, so a client keeps reading a newer server's answers.

// A definition keeps the shape of one limit ({limit, period, alignment, alertThresholds}), which is its main limit, and
// adds the other limits, the main limit's name and the enforcement, each written only when it is not the default: a
// budget of one limit reads and writes as it always has.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record DefinitionDto
{
    private readonly BudgetDefinition _definition;

    // The rules between members (names unique, not too many limits) are checked as the definition is read: a
    // WireValueException names the member at fault.
    [JsonConstructor]
    public DefinitionDto(
        decimal limit,
        BudgetPeriod? period = null,
        BudgetWindowAlignment? alignment = null,
        IReadOnlyList<decimal>? alertThresholds = null,
        string? limitName = null,
        IReadOnlyList<LimitDto>? limits = null,
        BudgetEnforcement? enforcement = null)
    {
        Limit = limit;
        Period = period;
        Alignment = alignment;
        AlertThresholds = alertThresholds;
        LimitName = limitName;
        Limits = limits;
        Enforcement = enforcement;

        // "null for an optional field is the same as leaving it out".
        var main = new BudgetLimit(limit, period ?? BudgetPeriod.None, alignment ?? BudgetWindowAlignment.Calendar, name: limitName);
        if (limits is null || limits.Count == 0)
        {
            _definition = new BudgetDefinition([main], alertThresholds, enforcement ?? BudgetEnforcement.Enforce);
            return;
        }

        if (limits.Count >= BudgetDefinition.MaxLimits)
        {
            throw new WireValueException($"has {limits.Count} limits; a budget has at most {BudgetDefinition.MaxLimits}, its main limit ('limit') included.", ".limits");
        }

        var all = new BudgetLimit[limits.Count + 1];
        all[0] = main;
        for (int i = 0; i < limits.Count; i++)
        {
            BudgetLimit other = limits[i]?.ToLimit() ?? throw new WireValueException("must be a limit (an object with at least 'amount'), not null.", $".limits[{i}]");
            int same = Array.FindIndex(all, 0, i + 1, l => string.Equals(l.Name, other.Name, StringComparison.Ordinal));
            if (same >= 0)
            {
                throw new WireValueException(
                    $"is '{other.Name}' (given, or made of the period, unit and models), the name of {(same == 0 ? "the main limit" : $"limits[{same - 1}]")} too; the limits of a budget have names of their own.",
                    $".limits[{i}].name");
            }

            all[i + 1] = other;
        }

        _definition = new BudgetDefinition(all, alertThresholds, enforcement ?? BudgetEnforcement.Enforce);
    }

    private DefinitionDto(BudgetDefinition definition)
    {
        BudgetLimit main = definition.Limits[0];
        Limit = main.Amount;
        Period = main.Period;
        Alignment = main.Alignment;
        AlertThresholds = definition.AlertThresholds;
        LimitName = main.Name == BudgetLimit.Dollars(main.Amount, main.Period, main.Alignment).Name ? null : main.Name;
        Limits = definition.Limits.Count == 1 ? null : [.. definition.Limits.Skip(1).Select(LimitDto.From)];
        Enforcement = definition.Enforcement == BudgetEnforcement.Enforce ? null : definition.Enforcement;
        _definition = definition;
    }

    /// <summary>Gets the main limit: US dollars on every model, per window.</summary>
    [JsonConverter(typeof(WireMoneyConverter))]
    public decimal Limit { get; }

    /// <summary>Gets how often the main limit's window starts again; <c>none</c> when left out.</summary>
    public BudgetPeriod? Period { get; }

    /// <summary>Gets whether the main limit's windows follow the calendar or count from the last reset; <c>calendar</c> when left out.</summary>
    public BudgetWindowAlignment? Alignment { get; }

    /// <summary>Gets the fractions of each dollar limit whose crossing raises an alert.</summary>
    [JsonConverter(typeof(WireThresholdsConverter))]
    public IReadOnlyList<decimal>? AlertThresholds { get; }

    /// <summary>Gets the main limit's name, when it is not the one made of its period (<c>monthly</c>, <c>total</c>).</summary>
    [JsonConverter(typeof(WireLimitNameConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LimitName { get; }

    /// <summary>Gets the limits after the main one, or <see langword="null"/> for none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LimitDto>? Limits { get; }

    /// <summary>Gets whether calls that do not fit are refused (<c>enforce</c>, when left out) or only reported (<c>observe</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BudgetEnforcement? Enforcement { get; }

    public static DefinitionDto From(BudgetDefinition definition) => new(definition);

    public BudgetDefinition ToDefinition() => _definition;
}

// One of the limits after the main one. Written with every member; read with only 'amount' required.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record LimitDto
{
    private readonly BudgetLimit _limit;

    [JsonConstructor]
    public LimitDto(
        decimal amount,
        BudgetUnit? unit = null,
        BudgetPeriod? period = null,
        BudgetWindowAlignment? alignment = null,
        IReadOnlyList<string>? models = null,
        string? name = null)
    {
        Amount = amount;
        Unit = unit;
        Period = period;
        Alignment = alignment;
        Models = models;
        Name = name;
        if (unit is BudgetUnit.Tokens or BudgetUnit.Requests && amount != decimal.Truncate(amount))
        {
            throw new WireValueException($"must be a whole number of {(unit == BudgetUnit.Tokens ? "tokens" : "requests")}; it is {WireLimits.Format(amount)}.", ".amount");
        }

        _limit = new BudgetLimit(amount, period ?? BudgetPeriod.None, alignment ?? BudgetWindowAlignment.Calendar, unit ?? BudgetUnit.Dollars, models, name);
    }

    private LimitDto(BudgetLimit limit)
    {
        Amount = limit.Amount;
        Unit = limit.Unit;
        Period = limit.Period;
        Alignment = limit.Alignment;
        Models = limit.Models;
        Name = limit.Name;
        _limit = limit;
    }

    /// <summary>Gets the most one window allows: dollars, or a whole number of tokens or requests.</summary>
    [JsonConverter(typeof(WireAmountConverter))]
    public decimal Amount { get; }

    /// <summary>Gets what the limit counts; <c>dollars</c> when left out.</summary>
    public BudgetUnit? Unit { get; }

    /// <summary>Gets how often the window starts again; <c>none</c> when left out.</summary>
    public BudgetPeriod? Period { get; }

    /// <summary>Gets whether windows follow the calendar (or clock) or count from the last reset; <c>calendar</c> when left out.</summary>
    public BudgetWindowAlignment? Alignment { get; }

    /// <summary>Gets the models the limit applies to (exact ids or prefixes ending in <c>*</c>); every model when left out or empty.</summary>
    [JsonConverter(typeof(WireModelsConverter))]
    public IReadOnlyList<string>? Models { get; }

    /// <summary>Gets the limit's name, unique within the budget; made of its period, unit and models when left out.</summary>
    [JsonConverter(typeof(WireLimitNameConverter))]
    public string? Name { get; }

    public static LimitDto From(BudgetLimit limit) => new(limit);

    public BudgetLimit ToLimit() => _limit;
}

// One limit's current window, in the order of the definition's limits (the main one first). Name, unit and amount
// repeat the limit's, and remaining is informative: clients take the limit from the definition.
internal sealed record WindowDto(
    string Name,
    BudgetUnit Unit,
    decimal Amount,
    DateTimeOffset Start,
    DateTimeOffset? End,
    decimal Spent,
    decimal Reserved,
    decimal? Remaining = null,
    DateTimeOffset? RunsOutAt = null)
{
    public static WindowDto From(BudgetWindowState window) => new(
        window.Name, window.Unit, window.Limit.Amount, window.Start, window.End, window.Spent, window.Reserved, window.Remaining, window.RunsOutAt);

    public BudgetWindowState ToWindow(BudgetLimit limit) => new()
    {
        Limit = limit,
        Start = Start,
        End = End,
        Spent = Spent,
        Reserved = Reserved,
        RunsOutAt = RunsOutAt,
    };
}

internal sealed record BudgetDto(
    string Project,
    string Key,
    DefinitionDto Definition,
    DateTimeOffset WindowStart,
    DateTimeOffset? WindowEnd,
    decimal Spent,
    decimal Reserved,
    IReadOnlyDictionary<string, decimal> SpendByModel,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    decimal? Remaining = null,
    DateTimeOffset? RunsOutAt = null,
    IReadOnlyList<WindowDto>? Windows = null)
{
    public static BudgetDto From(BudgetState budget) => new(
        budget.Project, budget.Key, DefinitionDto.From(budget.Definition), budget.WindowStart, budget.WindowEnd, budget.Spent, budget.Reserved,
        budget.SpendByModel, budget.CreatedAt, budget.UpdatedAt, budget.Remaining, budget.RunsOutAt, [.. budget.Windows.Select(WindowDto.From)]);

    // Remaining is informative: the state computes its own. Without windows (a service that sends none) the state
    // makes the main one from the budget's own figures.
    public BudgetState ToState()
    {
        BudgetDefinition definition = Definition.ToDefinition();
        return new BudgetState
        {
            Project = Project,
            Key = Key,
            Definition = definition,
            WindowStart = WindowStart,
            WindowEnd = WindowEnd,
            Spent = Spent,
            Reserved = Reserved,
            RunsOutAt = RunsOutAt,
            Windows = Windows is null ? null! : ToWindows(definition), // null: the state makes the main window of its own figures
            SpendByModel = SpendByModel,
            CreatedAt = CreatedAt,
            UpdatedAt = UpdatedAt,
        };
    }

    private BudgetWindowState[] ToWindows(BudgetDefinition definition)
    {
        IReadOnlyList<BudgetLimit> limits = definition.Limits;
        IReadOnlyList<WindowDto> windows = Windows!;
        if (windows.Count != limits.Count || windows.Where((w, i) => !string.Equals(w.Name, limits[i].Name, StringComparison.Ordinal)).Any())
        {
            throw new InvalidOperationException(
                $"The budget service answered budget '{Key}' with windows ({string.Join(", ", windows.Select(w => w.Name))}) that are not those of its limits ({string.Join(", ", limits.Select(l => l.Name))}).");
        }

        return [.. windows.Select((w, i) => w.ToWindow(limits[i]))];
    }
}

internal sealed record BudgetListDto(IReadOnlyList<BudgetDto> Budgets);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SetBudgetRequest(
    DefinitionDto Definition,
    [property: JsonConverter(typeof(WireTimeConverter))] DateTimeOffset? CreatedAt = null);

// Tokens, model and observe are left out when they are the defaults (0, none, false), so that a reservation of a
// cost alone is the request it always was.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ReserveRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ReservationId,
    [property: JsonConverter(typeof(WireKeysConverter))] IReadOnlyList<string> Keys,
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal Amount,
    [property: JsonConverter(typeof(WireTimeConverter))] DateTimeOffset ExpiresAt,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Tokens = null,
    [property: JsonConverter(typeof(WireIdConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Model = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Observe = null)
{
    public static ReserveRequest From(string reservationId, IReadOnlyList<string> keys, BudgetUsage amount, DateTimeOffset expiresAt) =>
        new(reservationId, keys, amount.Cost, expiresAt, amount.Tokens == 0 ? null : amount.Tokens, amount.Model, amount.Observe ? true : null);

    public BudgetUsage ToUsage() => new(Amount, Tokens ?? 0, Model) { Observe = Observe ?? false };
}

// Window names the limit that refused (or, with wouldHaveRefused, would have), one of the budget's windows.
internal sealed record ReserveResponse(BudgetReservationStatus Status, string? Key = null, BudgetDto? Budget = null, string? Window = null, bool WouldHaveRefused = false)
{
    public static ReserveResponse From(BudgetReservationResult result) =>
        new(result.Status, result.Key, result.Budget is null ? null : BudgetDto.From(result.Budget), result.Window?.Name, result.WouldHaveRefused);
}

// Record: the call's details for the spend ledger (WireSpendTypes.cs), optional, not compared on a retry.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SettleRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ReservationId,
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal ActualCost,
    [property: JsonConverter(typeof(WireIdConverter))] string? Model = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Tokens = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SpendDetailsDto? Record = null)
{
    public static SettleRequest From(string reservationId, BudgetUsage actualCost) =>
        new(reservationId, actualCost.Cost, actualCost.Model, actualCost.Tokens == 0 ? null : actualCost.Tokens, SpendDetailsDto.From(actualCost.Record));

    public BudgetUsage ToUsage() => new(ActualCost, Tokens ?? 0, Model) { Record = Record?.ToRecord() };
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ReleaseRequest([property: JsonConverter(typeof(WireIdConverter))] string ReservationId);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record RenewRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ReservationId,
    [property: JsonConverter(typeof(WireTimeConverter))] DateTimeOffset ExpiresAt);

internal sealed record RenewResponse(BudgetRenewalStatus Status);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ChargeRequest(
    [property: JsonConverter(typeof(WireIdConverter))] string ChargeId,
    [property: JsonConverter(typeof(WireKeysConverter))] IReadOnlyList<string> Keys,
    [property: JsonConverter(typeof(WireMoneyConverter))] decimal Amount,
    [property: JsonConverter(typeof(WireIdConverter))] string? Model = null,
    [property: JsonConverter(typeof(WireTokensConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Tokens = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SpendDetailsDto? Record = null)
{
    public static ChargeRequest From(string chargeId, IReadOnlyList<string> keys, BudgetUsage amount) =>
        new(chargeId, keys, amount.Cost, amount.Model, amount.Tokens == 0 ? null : amount.Tokens, SpendDetailsDto.From(amount.Record));

    public BudgetUsage ToUsage() => new(Amount, Tokens ?? 0, Model) { Record = Record?.ToRecord() };
}

// Window is the name of the dollar limit whose threshold was crossed.
internal sealed record AlertDto(string Project, string Key, decimal Threshold, decimal Spent, decimal Limit, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd, string? Window = null, DateTimeOffset? RunsOutAt = null)
{
    public static AlertDto From(BudgetAlert alert) =>
        new(alert.Project, alert.Key, alert.Threshold, alert.Spent, alert.Limit, alert.WindowStart, alert.WindowEnd, alert.Window, alert.RunsOutAt);

    public BudgetAlert ToAlert() => new(Project, Key, Threshold, Spent, Limit, WindowStart, WindowEnd, Window) { RunsOutAt = RunsOutAt };
}

internal sealed record CompletionDto(BudgetCompletionStatus Status, IReadOnlyList<AlertDto>? Alerts = null)
{
    public static CompletionDto From(BudgetCompletion completion) => new(completion.Status, [.. completion.Alerts.Select(AlertDto.From)]);

    public BudgetCompletion ToCompletion() => Status switch
    {
        BudgetCompletionStatus.Completed => BudgetCompletion.CompletedWith(Alerts?.Select(a => a.ToAlert()).ToArray() ?? []),
        BudgetCompletionStatus.AlreadyCompleted => BudgetCompletion.AlreadyCompleted,
        BudgetCompletionStatus.Conflict => BudgetCompletion.Conflicting(BudgetConflict.Ended),
        _ => BudgetCompletion.NotFound,
    };
}

internal sealed record SweepResponse(int RolledOver);

// What the client reads of the server's ProblemDetails; Conflict is the extension of a 409 (what the id is used for).
internal sealed record ProblemDto(
    string? Title = null,
    string? Detail = null,
    int? Status = null,
    string? Key = null,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    BudgetConflict? Conflict = null);
