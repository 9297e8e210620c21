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
/// The store reads the page of budgets and the totals over all of them in one pass, making states for the page's rows
/// alone (<see cref="BudgetListQuery"/>), and adds up the spend figures, the top users and models only
/// (<see cref="BudgetSpendQuery.Top"/>): the page stays fast with 100,000 budgets and users.
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
        BudgetListOrder order = Sort switch
        {
            "used" => BudgetListOrder.Used,
            "runout" => BudgetListOrder.RunsOut,
            _ => BudgetListOrder.Key,
        };
        Sort = order == BudgetListOrder.Key ? null : Sort;
        var query = new BudgetListQuery { Search = string.IsNullOrWhiteSpace(Search) ? null : Search.Trim(), Order = order, Limit = PageSize };
        BudgetListPage page = await store.ListBudgetsAsync(project, query with { Offset = (Math.Max(PageNumber, 1) - 1) * PageSize }, cancellationToken).ConfigureAwait(false);
        PageCount = Math.Max(1, (page.Matched + PageSize - 1) / PageSize);
        if (PageNumber < 1 || PageNumber > PageCount)
        {
            // Past the last page (the budgets changed since the link was made): the last one.
            PageNumber = Math.Clamp(PageNumber, 1, PageCount);
            page = await store.ListBudgetsAsync(project, query with { Offset = (PageNumber - 1) * PageSize }, cancellationToken).ConfigureAwait(false);
        }

        Summarize(page);
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

    // The cards describe the whole project, whatever the search; the rows are the page.
    private void Summarize(BudgetListPage page)
    {
        BudgetCount = page.Count;
        MatchCount = page.Matched;
        TotalSpent = page.Spent;
        TotalReserved = page.Reserved;
        TotalLimit = page.Limit;
        NearCount = page.Near;
        ExhaustedCount = page.Exhausted;
        Rows = page.Budgets;
    }

    private async Task ReadSpendAsync(IBudgetSpendLog log, string project, CancellationToken cancellationToken)
    {
        DateTimeOffset today = new(Now.UtcDateTime.Date, TimeSpan.Zero);
        var range = new BudgetSpendQuery { From = today.AddDays(1 - Days) };
        ChartDays = [.. Enumerable.Range(0, Days).Select(d => range.From!.Value.AddDays(d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))];

        // Three grouped reads and a page, whatever the store: the page's cost in the ledger does not grow with its models.
        BudgetSpendQuery top = range with { Top = TopRows };
        TopModels = await log.GroupSpendAsync(project, top, BudgetSpendGrouping.Model, cancellationToken).ConfigureAwait(false);
        TopUsers = await log.GroupSpendAsync(project, top, BudgetSpendGrouping.User, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BudgetSpendGroup> days = await log.GroupSpendAsync(project, range, BudgetSpendGrouping.Day, cancellationToken).ConfigureAwait(false);
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
