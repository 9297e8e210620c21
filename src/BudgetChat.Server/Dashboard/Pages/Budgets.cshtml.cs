using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>
/// The main page: a project's budgets (searched, sorted and paged, with a bar per limit, the time to reset and the
/// run-out forecast) and totals over all of them; spend and calls per day, the top models and users, and the latest
/// refusals from the store's spend ledger when it keeps one.
/// </summary>
/// <remarks>
/// The store lists every budget (one read); totals are one pass over the list and only a page of rows is rendered, so
/// the page stays fast with 100,000 budgets. The spend figures are grouped by the store.
/// </remarks>
[Authorize(Policy = DashboardAccess.ReadPolicy)]
internal sealed class BudgetsModel(IBudgetStore store, TimeProvider time) : DashboardPageModel
{
    /// <summary>How many budgets a page shows.</summary>
    public const int PageSize = 50;

    /// <summary>The spend ranges offered, in days.</summary>
    public static readonly int[] RangeChoices = [7, 14, 30, 90];

    private const int TopRows = 8;

    public override string Title => "Budgets";

    /// <summary>Gets or sets the text the keys shown must contain (ignoring case).</summary>
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    /// <summary>Gets or sets the page of budgets shown, from 1 (<c>p</c>: <c>page</c> is Razor Pages' own route value).</summary>
    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    /// <summary>Gets or sets the order: <c>key</c> (default), <c>used</c> (most used first) or <c>runout</c> (soonest forecast first).</summary>
    [BindProperty(SupportsGet = true, Name = "sort")]
    public string? Sort { get; set; }

    /// <summary>Gets or sets how many days of spend the charts show.</summary>
    [BindProperty(SupportsGet = true, Name = "days")]
    public int Days { get; set; } = 14;

    /// <summary>Gets or sets what the last change did (<c>created</c>), shown once after it.</summary>
    [BindProperty(SupportsGet = true, Name = "done")]
    public string? Done { get; set; }

    public DateTimeOffset Now { get; private set; }

    public int BudgetCount { get; private set; }

    public int MatchCount { get; private set; }

    public int PageCount { get; private set; }

    public decimal TotalSpent { get; private set; }

    public decimal TotalReserved { get; private set; }

    public decimal TotalLimit { get; private set; }

    public int NearCount { get; private set; }

    public int ExhaustedCount { get; private set; }

    public IReadOnlyList<BudgetState> Rows { get; private set; } = [];

    /// <summary>Gets a value indicating whether the store keeps spend records (implements <see cref="IBudgetSpendLog"/>).</summary>
    public bool HasSpendLog { get; private set; }

    public IReadOnlyList<string> ChartDays { get; private set; } = [];

    /// <summary>Gets the spend per day (one series).</summary>
    public IReadOnlyList<ChartSeries> SpendSeries { get; private set; } = [];

    /// <summary>Gets the calls per day: answered, and refused.</summary>
    public IReadOnlyList<ChartSeries> CallSeries { get; private set; } = [];

    public BudgetSpendGroup SpendTotal { get; private set; } = new();

    public IReadOnlyList<BudgetSpendGroup> TopModels { get; private set; } = [];

    public IReadOnlyList<BudgetSpendGroup> TopUsers { get; private set; } = [];

    public IReadOnlyList<BudgetSpendRecord> Refusals { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        string project = Project!;
        Now = time.GetUtcNow();
        Days = RangeChoices.Contains(Days) ? Days : 14;

        long started = time.GetTimestamp();
        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false);
        Summarize(budgets);
        SelectRows(budgets);
        TimeSpan budgetsTook = time.GetElapsedTime(started);

        TimeSpan spendTook = TimeSpan.Zero;
        if (store is IBudgetSpendLog log)
        {
            HasSpendLog = true;
            started = time.GetTimestamp();
            await ReadSpendAsync(log, project, cancellationToken).ConfigureAwait(false);
            spendTook = time.GetElapsedTime(started);
        }

        // What reading the budgets (with the totals and the page's rows) and the spend took: for the browser's developer
        // tools, and for measuring the page at scale.
        Response.Headers["Server-Timing"] = string.Create(
            CultureInfo.InvariantCulture,
            $"budgets;dur={budgetsTook.TotalMilliseconds:0.#};desc=\"{BudgetCount} budgets\", spend;dur={spendTook.TotalMilliseconds:0.#}");
        return Page();
    }

    /// <summary>The address of this page with some parameters changed (the others kept).</summary>
    public string With(string? q = null, int? p = null, string? sort = null, int? days = null) =>
        DashboardLinks.Budgets(
            Project!,
            ("q", q ?? Search),
            ("sort", sort ?? Sort),
            ("days", (days ?? Days) == 14 ? null : (days ?? Days).ToString(CultureInfo.InvariantCulture)),
            ("p", (p ?? 1) == 1 ? null : (p ?? 1).ToString(CultureInfo.InvariantCulture)));

    // One pass over every budget of the project, whatever the search: the cards describe the project.
    private void Summarize(IReadOnlyList<BudgetState> budgets)
    {
        BudgetCount = budgets.Count;
        foreach (BudgetState budget in budgets)
        {
            TotalSpent += budget.Spent;
            TotalReserved += budget.Reserved;
            if (budget.Limit < Stores.BudgetAmounts.Max)
            {
                TotalLimit += budget.Limit;
            }

            decimal used = DashboardFormat.Used(budget);
            if (used >= 1m)
            {
                ExhaustedCount++;
            }
            else if (used >= 0.8m)
            {
                NearCount++;
            }
        }
    }

    private void SelectRows(IReadOnlyList<BudgetState> budgets)
    {
        string? search = string.IsNullOrWhiteSpace(Search) ? null : Search.Trim();
        IReadOnlyList<BudgetState> matching = search is null
            ? budgets
            : [.. budgets.Where(b => b.Key.Contains(search, StringComparison.OrdinalIgnoreCase))];

        // The store lists by key; the other orders sort the matches once, by a value computed once per budget.
        if (Sort is "used" or "runout")
        {
            BudgetState[] items = [.. matching];
            if (Sort == "used")
            {
                decimal[] keys = [.. items.Select(b => -DashboardFormat.Used(b))];
                Array.Sort(keys, items);
            }
            else
            {
                long[] keys = [.. items.Select(b => RunsOut(b)?.UtcTicks ?? long.MaxValue)];
                Array.Sort(keys, items);
            }

            matching = items;
        }
        else
        {
            Sort = null;
        }

        MatchCount = matching.Count;
        PageCount = Math.Max(1, (MatchCount + PageSize - 1) / PageSize);
        PageNumber = Math.Clamp(PageNumber, 1, PageCount);
        int start = (PageNumber - 1) * PageSize;
        Rows = [.. Enumerable.Range(start, Math.Min(PageSize, MatchCount - start)).Select(i => matching[i])];
    }

    /// <summary>The soonest run-out forecast of any of a budget's limits.</summary>
    public static DateTimeOffset? RunsOut(BudgetState budget)
    {
        DateTimeOffset? soonest = null;
        foreach (BudgetWindowState window in budget.Windows)
        {
            if (window.RunsOutAt is { } at && (soonest is null || at < soonest))
            {
                soonest = at;
            }
        }

        return soonest;
    }

    private async Task ReadSpendAsync(IBudgetSpendLog log, string project, CancellationToken cancellationToken)
    {
        DateTimeOffset today = new(Now.UtcDateTime.Date, TimeSpan.Zero);
        var range = new BudgetSpendQuery { From = today.AddDays(1 - Days) };
        ChartDays = [.. Enumerable.Range(0, Days).Select(d => range.From!.Value.AddDays(d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))];

        // Three grouped reads and a page, whatever the store: the page's cost in the ledger does not grow with its models.
        IReadOnlyList<BudgetSpendGroup> models = await log.GroupSpendAsync(project, range, BudgetSpendGrouping.Model, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BudgetSpendGroup> users = await log.GroupSpendAsync(project, range, BudgetSpendGrouping.User, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BudgetSpendGroup> days = await log.GroupSpendAsync(project, range, BudgetSpendGrouping.Day, cancellationToken).ConfigureAwait(false);
        TopModels = [.. models.Take(TopRows)];
        TopUsers = [.. users.Take(TopRows)];
        SpendTotal = new BudgetSpendGroup
        {
            Calls = days.Sum(g => g.Calls),
            Refused = days.Sum(g => g.Refused),
            Cost = days.Sum(g => g.Cost),
            Tokens = days.Sum(g => g.Tokens),
            InputTokens = days.Sum(g => g.InputTokens),
            OutputTokens = days.Sum(g => g.OutputTokens),
        };

        SpendSeries = [new ChartSeries("spend", DashboardCharts.Blue, PerDay(days, g => g.Cost))];
        CallSeries =
        [
            new ChartSeries("answered", DashboardCharts.Blue, PerDay(days, g => g.Calls - g.Refused)),
            new ChartSeries("refused", DashboardCharts.Red, PerDay(days, g => g.Refused)),
        ];
        BudgetSpendPage refusals = await log.QuerySpendAsync(project, new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Refused, Limit = 10 }, cancellationToken).ConfigureAwait(false);
        Refusals = refusals.Records;
    }

    private decimal[] PerDay(IReadOnlyList<BudgetSpendGroup> days, Func<BudgetSpendGroup, decimal> value)
    {
        decimal[] values = new decimal[ChartDays.Count];
        foreach (BudgetSpendGroup day in days)
        {
            int d = day.Value is null ? -1 : IndexOf(ChartDays, day.Value);
            if (d >= 0)
            {
                values[d] += value(day);
            }
        }

        return values;
    }

    private static int IndexOf(IReadOnlyList<string> days, string day)
    {
        for (int i = 0; i < days.Count; i++)
        {
            if (string.Equals(days[i], day, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
