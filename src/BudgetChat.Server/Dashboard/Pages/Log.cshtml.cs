using System.Globalization;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>
/// The call log: the spend ledger's records, newest first, filtered by user, key, model, outcome (or mark) and time, in
/// pages that follow the records' sequence (so a page does not move when new calls arrive).
/// </summary>
[Authorize(Policy = DashboardAccess.ReadPolicy)]
internal sealed class LogModel(IBudgetStore store) : DashboardPageModel
{
    public const int PageSize = 50;

    /// <summary>The outcomes and marks the filter offers, by their wire names.</summary>
    public static readonly string[] OutcomeChoices = ["charged", "estimated", "refused", "released", "reset", "adjusted", "reduced", "downgraded", "would_refuse"];

    private static readonly string[] TimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"];

    public override string Title => "Call log";

    [BindProperty(SupportsGet = true, Name = "user")]
    public string? FilterUser { get; set; }

    [BindProperty(SupportsGet = true, Name = "key")]
    public string? FilterKey { get; set; }

    [BindProperty(SupportsGet = true, Name = "model")]
    public string? FilterModel { get; set; }

    [BindProperty(SupportsGet = true, Name = "outcome")]
    public string? FilterOutcome { get; set; }

    /// <summary>Gets or sets the earliest time shown, UTC (<c>yyyy-MM-ddTHH:mm</c>, as a <c>datetime-local</c> input sends it).</summary>
    [BindProperty(SupportsGet = true, Name = "from")]
    public string? From { get; set; }

    /// <summary>Gets or sets the time records must be before, UTC.</summary>
    [BindProperty(SupportsGet = true, Name = "to")]
    public string? To { get; set; }

    /// <summary>Gets or sets the sequence the page's records come before: the page after a newer one.</summary>
    [BindProperty(SupportsGet = true, Name = "before")]
    public long? Before { get; set; }

    /// <summary>Gets or sets the sequence the page's records come after: the page before an older one.</summary>
    [BindProperty(SupportsGet = true, Name = "after")]
    public long? After { get; set; }

    public bool HasSpendLog { get; private set; }

    /// <summary>Gets the filter fields at fault and why; the page is answered 400 when there are any.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<BudgetSpendRecord> Records { get; private set; } = [];

    public BudgetSpendGroup Total { get; private set; } = new();

    /// <summary>Gets the <c>before</c> of the next (older) page, or <see langword="null"/> when this is the oldest.</summary>
    public long? OlderFrom { get; private set; }

    /// <summary>Gets the <c>after</c> of the previous (newer) page, or <see langword="null"/> when this is the newest.</summary>
    public long? NewerFrom { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (store is not IBudgetSpendLog log)
        {
            return Page();
        }

        HasSpendLog = true;
        BudgetSpendQuery? filter = ReadFilter();
        if (filter is null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        string project = Project!;
        if (After is { } after)
        {
            // The newer page: read forward from the sequence, then show it newest first like the others.
            BudgetSpendPage page = await log.QuerySpendAsync(project, filter with { After = after, OldestFirst = true }, cancellationToken).ConfigureAwait(false);
            Records = [.. page.Records.Reverse()];
            NewerFrom = page.Next;
            OlderFrom = Records.Count > 0 ? Records[^1].Sequence : null;
        }
        else
        {
            BudgetSpendPage page = await log.QuerySpendAsync(project, filter with { Before = Before }, cancellationToken).ConfigureAwait(false);
            Records = page.Records;
            OlderFrom = page.Next;
            NewerFrom = Before is not null && Records.Count > 0 ? Records[0].Sequence : null;
        }

        IReadOnlyList<BudgetSpendGroup> total = await log.GroupSpendAsync(project, filter, BudgetSpendGrouping.None, cancellationToken).ConfigureAwait(false);
        Total = total.Count > 0 ? total[0] : new BudgetSpendGroup();
        return Page();
    }

    /// <summary>The address of the log with the current filters and a page cursor.</summary>
    public string Link(long? before = null, long? after = null) =>
        DashboardLinks.Log(
            Project!,
            ("user", FilterUser),
            ("key", FilterKey),
            ("model", FilterModel),
            ("outcome", FilterOutcome),
            ("from", From),
            ("to", To),
            ("before", before?.ToString(CultureInfo.InvariantCulture)),
            ("after", after?.ToString(CultureInfo.InvariantCulture)));

    private BudgetSpendQuery? ReadFilter()
    {
        var query = new BudgetSpendQuery
        {
            User = Blank(FilterUser),
            Key = Blank(FilterKey),
            Model = Blank(FilterModel),
            Limit = PageSize,
            From = ReadTime(From, "from"),
            To = ReadTime(To, "to"),
        };

        if (Blank(FilterOutcome) is { } outcome && !BudgetSpendNames.TryApplyOutcomeFilter(query, outcome, out query))
        {
            Errors["outcome"] = $"'{outcome}' is not an outcome: use one of {string.Join(", ", OutcomeChoices)}.";
        }

        if (query.From is { } from && query.To is { } to && to < from)
        {
            Errors["to"] = "The end of the range is before its start.";
        }

        if (Before < 0 || After < 0)
        {
            Errors[Before < 0 ? "before" : "after"] = "A sequence is never negative.";
        }

        return Errors.Count == 0 ? query : null;
    }

    private DateTimeOffset? ReadTime(string? text, string field)
    {
        if (Blank(text) is not { } value)
        {
            return null;
        }

        if (DateTime.TryParseExact(value, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTime time))
        {
            return new DateTimeOffset(time, TimeSpan.Zero);
        }

        Errors[field] = $"'{value}' is not a time: write it as yyyy-MM-ddTHH:mm (UTC).";
        return null;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
