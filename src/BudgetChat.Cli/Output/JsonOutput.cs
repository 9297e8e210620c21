namespace BudgetChat.Cli.Output;

// What --json writes: one JSON document on stdout per command, camelCase, money as exact JSON numbers, times as
// ISO 8601 in UTC, names of periods, units and outcomes as the command line writes them (docs/cli.md).

/// <summary>A budget (<c>budgets list</c>, <c>get</c>, <c>set</c>, <c>reset</c>).</summary>
internal sealed record BudgetJson(
    string Project,
    string Key,
    decimal Limit,
    string Period,
    string Alignment,
    decimal Spent,
    decimal Reserved,
    decimal Remaining,
    DateTimeOffset WindowStart,
    DateTimeOffset? WindowEnd,
    DateTimeOffset? RunsOutAt,
    string Enforcement,
    IReadOnlyList<decimal> AlertThresholds,
    IReadOnlyList<LimitJson> Limits,
    IReadOnlyDictionary<string, decimal> SpendByModel,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static BudgetJson From(BudgetState budget) => new(
        budget.Project,
        budget.Key,
        budget.Limit,
        Formats.Period(budget.Definition.Period),
        Formats.Alignment(budget.Definition.Alignment),
        budget.Spent,
        budget.Reserved,
        budget.Remaining,
        budget.WindowStart.ToUniversalTime(),
        budget.WindowEnd?.ToUniversalTime(),
        budget.RunsOutAt?.ToUniversalTime(),
        Formats.Enforcement(budget.Definition.Enforcement),
        budget.Definition.AlertThresholds,
        [.. budget.Windows.Select(LimitJson.From)],
        new SortedDictionary<string, decimal>(budget.SpendByModel.ToDictionary(), StringComparer.Ordinal),
        budget.CreatedAt.ToUniversalTime(),
        budget.UpdatedAt.ToUniversalTime());
}

/// <summary>One limit of a budget and its current window.</summary>
internal sealed record LimitJson(
    string Name,
    string Unit,
    decimal Amount,
    string Period,
    string Alignment,
    IReadOnlyList<string> Models,
    decimal Spent,
    decimal Reserved,
    decimal Remaining,
    DateTimeOffset Start,
    DateTimeOffset? End,
    DateTimeOffset? RunsOutAt)
{
    public static LimitJson From(BudgetWindowState window) => new(
        window.Name,
        Formats.Unit(window.Unit),
        window.Limit.Amount,
        Formats.Period(window.Limit.Period),
        Formats.Alignment(window.Limit.Alignment),
        window.Limit.Models,
        window.Spent,
        window.Reserved,
        window.Remaining,
        window.Start.ToUniversalTime(),
        window.End?.ToUniversalTime(),
        window.RunsOutAt?.ToUniversalTime());
}

/// <summary>The budgets of a project (<c>budgets list</c>).</summary>
internal sealed record BudgetListJson(string Project, IReadOnlyList<BudgetJson> Budgets);

/// <summary>The answer of <c>budgets delete</c>.</summary>
internal sealed record DeletedJson(string Project, string Key, bool Deleted);

/// <summary>A page of spend records (<c>spend</c> without <c>--group-by</c>).</summary>
internal sealed record SpendPageJson(string Project, IReadOnlyList<SpendRecordJson> Records, long? Next);

/// <summary>One spend record.</summary>
internal sealed record SpendRecordJson(
    long Sequence,
    string? Id,
    DateTimeOffset Time,
    IReadOnlyList<string> Keys,
    string? User,
    string? RequestedModel,
    string? Model,
    string Outcome,
    IReadOnlyList<string> Marks,
    decimal Cost,
    decimal Held,
    long Tokens,
    long? InputTokens,
    long? CachedInputTokens,
    long? OutputTokens,
    long? ReasoningTokens,
    string? Reason,
    string? RefusedKey,
    string? RefusedWindow,
    int? MaxOutputTokens,
    double? DurationMs,
    string? TraceId,
    decimal? SpentAfter)
{
    public static SpendRecordJson From(BudgetSpendRecord record) => new(
        record.Sequence,
        record.Id,
        record.Time.ToUniversalTime(),
        record.Keys,
        record.User,
        record.RequestedModel,
        record.Model,
        Stores.BudgetSpendNames.ToName(record.Outcome),
        Stores.BudgetSpendNames.ToNames(record.Marks).Split(',', StringSplitOptions.RemoveEmptyEntries),
        record.Cost,
        record.Held,
        record.Tokens,
        record.InputTokens,
        record.CachedInputTokens,
        record.OutputTokens,
        record.ReasoningTokens,
        record.Reason,
        record.RefusedKey,
        record.RefusedWindow,
        record.MaxOutputTokens,
        record.Duration?.TotalMilliseconds,
        record.TraceId,
        record.SpentAfter);
}

/// <summary>Spend added up by group (<c>spend --group-by</c>).</summary>
internal sealed record SpendGroupsJson(string Project, string GroupBy, IReadOnlyList<SpendGroupJson> Groups);

/// <summary>The totals of one group.</summary>
internal sealed record SpendGroupJson(string? Value, long Calls, long Refused, decimal Cost, long Tokens, long InputTokens, long OutputTokens)
{
    public static SpendGroupJson From(BudgetSpendGroup group) =>
        new(group.Value, group.Calls, group.Refused, group.Cost, group.Tokens, group.InputTokens, group.OutputTokens);
}

/// <summary>The answer of <c>verify</c>.</summary>
internal sealed record VerifyJson(string Project, bool Balanced, IReadOnlyList<VerifyCheckJson> Budgets);

/// <summary>One budget's check.</summary>
internal sealed record VerifyCheckJson(string Key, DateTimeOffset WindowStart, decimal Spent, decimal Recorded, long Records, bool Balanced)
{
    public static VerifyCheckJson From(BudgetSpendCheck check) =>
        new(check.Key, check.WindowStart.ToUniversalTime(), check.Spent, check.Recorded, check.Records, check.IsBalanced);
}

/// <summary>The answer of <c>import-litellm</c>.</summary>
internal sealed record ImportJson(string Project, string File, int Imported);

/// <summary>The answer of <c>export-litellm</c>.</summary>
internal sealed record ExportJson(string Project, string File, int Exported, int Skipped);
