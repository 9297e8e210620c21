using System.Globalization;
using System.Text;
using BudgetChat.Http.Wire;
using BudgetChat.Stores;

namespace BudgetChat.Server.Http;

/// <summary>
/// Spend records and groups as CSV (RFC 4180): a header row, then one row per record or group, lines ending in CRLF,
/// a field quoted when it holds a comma, a quote or a line break (its quotes doubled). Numbers are written in the
/// invariant culture (<c>0.0125</c>), times in UTC ISO 8601 (<c>2026-03-10T12:00:00Z</c>), the columns' names are the
/// JSON members'. This type is thread-safe.
/// </summary>
/// <remarks>
/// Text that came from callers (users, models, keys, reasons, ids) is defused against formula injection: a field that
/// starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return, which a spreadsheet would run as a
/// formula, gets a leading <c>'</c> (OWASP's advice). A record's keys share one field, joined by <c>;</c>.
/// </remarks>
internal static class SpendCsv
{
    /// <summary>The media type of the answers, with the header row announced (RFC 4180).</summary>
    public const string ContentType = "text/csv; charset=utf-8; header=present";

    /// <summary>The columns of a record, in order.</summary>
    public static readonly string[] RecordColumns =
    [
        "sequence", "time", "id", "keys", "user", "requestedModel", "model", "outcome", "marks", "cost", "held", "tokens",
        "inputTokens", "cachedInputTokens", "outputTokens", "reasoningTokens", "maxOutputTokens", "durationMs", "reason",
        "refusedKey", "refusedWindow", "traceId", "spentAfter",
    ];

    /// <summary>The columns of a group after its value (which is named by the grouping, and absent for <c>none</c>).</summary>
    public static readonly string[] GroupColumns = ["calls", "refused", "cost", "tokens", "inputTokens", "outputTokens"];

    public static string Records(IReadOnlyList<BudgetSpendRecord> records)
    {
        var csv = new StringBuilder(128 * (records.Count + 1));
        csv.AppendJoin(',', RecordColumns).Append("\r\n");
        foreach (BudgetSpendRecord r in records)
        {
            Number(csv, r.Sequence).Append(',');
            csv.Append(r.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)).Append(',');
            Text(csv, r.Id).Append(',');
            Text(csv, string.Join(';', r.Keys)).Append(',');
            Text(csv, r.User).Append(',');
            Text(csv, r.RequestedModel).Append(',');
            Text(csv, r.Model).Append(',');
            csv.Append(BudgetSpendNames.ToName(r.Outcome)).Append(',');
            Text(csv, BudgetSpendNames.ToNames(r.Marks)).Append(',');
            Number(csv, r.Cost).Append(',');
            Number(csv, r.Held).Append(',');
            Number(csv, r.Tokens).Append(',');
            Number(csv, r.InputTokens).Append(',');
            Number(csv, r.CachedInputTokens).Append(',');
            Number(csv, r.OutputTokens).Append(',');
            Number(csv, r.ReasoningTokens).Append(',');
            Number(csv, r.MaxOutputTokens).Append(',');
            Number(csv, r.Duration is { } duration ? WireMillisecondsConverter.ToMilliseconds(duration) : null).Append(',');
            Text(csv, r.Reason).Append(',');
            Text(csv, r.RefusedKey).Append(',');
            Text(csv, r.RefusedWindow).Append(',');
            Text(csv, r.TraceId).Append(',');
            Number(csv, r.SpentAfter).Append("\r\n");
        }

        return csv.ToString();
    }

    public static string Groups(BudgetSpendGrouping grouping, IReadOnlyList<BudgetSpendGroup> groups)
    {
        var csv = new StringBuilder(64 * (groups.Count + 1));
        if (grouping != BudgetSpendGrouping.None)
        {
            csv.Append(BudgetSpendNames.ToName(grouping)).Append(',');
        }

        csv.AppendJoin(',', GroupColumns).Append("\r\n");
        foreach (BudgetSpendGroup g in groups)
        {
            if (grouping != BudgetSpendGrouping.None)
            {
                Text(csv, g.Value).Append(',');
            }

            Number(csv, g.Calls).Append(',');
            Number(csv, g.Refused).Append(',');
            Number(csv, g.Cost).Append(',');
            Number(csv, g.Tokens).Append(',');
            Number(csv, g.InputTokens).Append(',');
            Number(csv, g.OutputTokens).Append("\r\n");
        }

        return csv.ToString();
    }

    /// <summary>Writes a text field: defused when a spreadsheet would read it as a formula, quoted when RFC 4180 asks.</summary>
    public static StringBuilder Text(StringBuilder csv, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return csv;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") < 0
            ? csv.Append(value)
            : csv.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static StringBuilder Number(StringBuilder csv, decimal? value) =>
        value is { } number ? csv.Append(number.ToString(CultureInfo.InvariantCulture)) : csv;

    private static StringBuilder Number(StringBuilder csv, long? value) =>
        value is { } number ? csv.Append(number.ToString(CultureInfo.InvariantCulture)) : csv;
}
