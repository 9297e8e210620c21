using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace BudgetChat.Dashboard.Tests;

/// <summary>The dashboard in a real browser (Chromium through Playwright) against the real service on 127.0.0.1.</summary>
[Collection(DashboardServerFixtureGroup.Name)]
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IAsyncLifetime
{
    private readonly List<IPage> _pages = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (IPage page in _pages)
        {
            await page.Context.DisposeAsync();
        }
    }

    [Fact]
    public async Task SigningIn_WithAnAdminKey_ShowsTheProjectsBudgetsAndCharts()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync("/dashboard");
        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/sign-in"));

        await SignInAsync(page, DashboardFixture.AdminKey);

        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/projects/acme$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Budgets");
        IReadOnlyList<BudgetState> budgets = await fixture.Store.ListBudgetsAsync(DashboardSeed.Project);
        await Expect(page.Locator("#budget-count")).ToHaveTextAsync(budgets.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (BudgetState budget in budgets)
        {
            await Expect(page.Locator($"#budgets-table td.key:text-is('{budget.Key}')").Or(page.Locator("#budgets-table td.key", new() { HasText = budget.Key })).First).ToBeVisibleAsync();
        }

        // A bar per limit: user:alice has a dollar and a request limit.
        Assert.Equal(2, await page.Locator("#budgets-table tr[data-key='user:alice'] svg.usage").CountAsync());

        // Spend and calls per day as SVG: a bar for each day that spent, a red part for each day with refusals.
        Assert.Equal(14, await page.Locator("#daily-chart svg.chart rect.day").CountAsync());
        Assert.Equal(14, await page.Locator("#daily-chart svg.chart rect.bar").CountAsync());
        IReadOnlyList<BudgetSpendGroup> days = await fixture.Store.GroupSpendAsync(
            DashboardSeed.Project, new BudgetSpendQuery { From = DashboardFixture.End.UtcDateTime.Date.AddDays(-13) }, BudgetSpendGrouping.Day);
        Assert.Equal(days.Count(d => d.Refused > 0), await page.Locator("#calls-chart svg.chart rect.bar[fill='#e03131']").CountAsync());
        Assert.Contains(days.Sum(d => d.Refused).ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Locator("#calls-chart .legend").InnerTextAsync(), StringComparison.Ordinal);
        await Expect(page.Locator("table.top-models")).ToContainTextAsync("gpt-4o-mini");
        await Expect(page.Locator("table.top-users")).ToContainTextAsync("alice");
        Assert.True(await page.Locator("#refusals-table tbody tr").CountAsync() > 0);

        // The sign-in cookie: HttpOnly, SameSite=Strict, the dashboard's path only, not Secure over plain HTTP.
        BrowserContextCookiesResult cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "budgetchat-dashboard");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/dashboard", cookie.Path);
        Assert.False(cookie.Secure);
    }

    [Fact]
    public async Task SigningIn_WithAWrongKey_IsRefused()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync("/dashboard/sign-in");

        await page.FillAsync("input[name=Key]", "not-a-key-of-this-service");
        IResponse answer = await page.RunAndWaitForResponseAsync(
            () => page.ClickAsync("button:text('Sign in')"),
            r => r.Request.Method == "POST" && r.Url.EndsWith("/dashboard/sign-in", StringComparison.Ordinal));

        Assert.Equal(400, answer.Status);
        await Expect(page.Locator("#key-error")).ToHaveTextAsync("This key is not valid for this service.");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "budgetchat-dashboard");
        await page.GotoAsync("/dashboard/projects/acme");
        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/sign-in"));
    }

    [Fact]
    public async Task CreatingABudget_ShowsItInTheList()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.ClickAsync("nav >> text=New budget");
        await page.FillAsync("#new-budget input[name=key]", "user:newcomer");
        await page.FillAsync("#new-budget input[name=limit]", "12.50");
        await page.SelectOptionAsync("#new-budget select[name=period]", "daily");
        await page.ClickAsync("#new-budget button[type=submit]");

        await Expect(page.Locator(".notice")).ToContainTextAsync("user:newcomer");
        ILocator row = page.Locator("#budgets-table tr[data-key='user:newcomer']");
        await Expect(row).ToContainTextAsync("of $12.50");
        await Expect(row).ToContainTextAsync("daily");
        BudgetState? created = await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:newcomer");
        Assert.Equal(new BudgetDefinition(12.5m, BudgetPeriod.Daily), created?.Definition);
    }

    [Fact]
    public async Task CreatingABudget_WithABadLimit_NamesTheField()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.GotoAsync("/dashboard/projects/acme/budgets/new");
        await page.FillAsync("#new-budget input[name=key]", "user:typo");
        await page.FillAsync("#new-budget input[name=limit]", "12,5O");
        await page.ClickAsync("#new-budget button[type=submit]");

        await Expect(page.Locator("#limit-error")).ToContainTextAsync("'12,5O' is not an amount of US dollars");
        Assert.Null(await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:typo"));
    }

    [Fact]
    public async Task ChangingABudget_ChangesItsLimit_AndKeepsItsSpend()
    {
        await fixture.Store.SetBudgetAsync(DashboardSeed.Project, "user:change-me", new BudgetDefinition(5m, BudgetPeriod.Monthly));
        await fixture.Store.ChargeAsync(DashboardSeed.Project, ["user:change-me"], 1.25m, "change-me-charge");
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.GotoAsync("/dashboard/projects/acme?q=change-me");
        await page.ClickAsync("#budgets-table tr[data-key='user:change-me'] a.edit-link");

        await page.FillAsync("#change-budget input[name=limit]", "99");
        await page.ClickAsync("#change-budget button[type=submit]");

        await Expect(page.Locator("#done")).ToHaveTextAsync("The budget's limit is changed.");
        await Expect(page.Locator("#windows-table")).ToContainTextAsync("of $99.00");
        BudgetState? changed = await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:change-me");
        Assert.Equal(99m, changed?.Limit);
        Assert.Equal(BudgetPeriod.Monthly, changed?.Definition.Period);
        Assert.Equal(1.25m, changed?.Spent);
    }

    [Fact]
    public async Task ResettingABudget_SetsItsSpendToZero()
    {
        await fixture.Store.SetBudgetAsync(DashboardSeed.Project, "user:reset-me", new BudgetDefinition(5m, BudgetPeriod.Monthly));
        await fixture.Store.ChargeAsync(DashboardSeed.Project, ["user:reset-me"], 4.5m, "reset-me-charge");
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.GotoAsync("/dashboard/projects/acme/budgets/edit?key=user:reset-me");
        await Expect(page.Locator("#windows-table")).ToContainTextAsync("$4.50");

        await page.ClickAsync("#reset-budget button[type=submit]");

        await Expect(page.Locator("#done")).ToHaveTextAsync("The budget's spend is reset to zero.");
        Assert.Equal(0m, (await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:reset-me"))?.Spent);
        await Expect(page.Locator("#windows-table td.figures")).ToContainTextAsync("$0");

        // The reset is in the ledger: the log shows it for the key.
        await page.GotoAsync("/dashboard/projects/acme/log?key=user:reset-me&outcome=reset");
        Assert.Equal(1, await page.Locator("#log-table tbody tr").CountAsync());
    }

    [Fact]
    public async Task TheLog_FiltersByUserAndOutcome()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.ClickAsync("nav >> text=Call log");
        await page.FillAsync("#log-filters input[name=user]", "carol");
        await page.SelectOptionAsync("#log-filters select[name=outcome]", "refused");
        await page.ClickAsync("#log-filters button[type=submit]");

        await Expect(page).ToHaveURLAsync(new Regex("user=carol.*outcome=refused"));
        BudgetSpendPage expected = await fixture.Store.QuerySpendAsync(
            DashboardSeed.Project, new BudgetSpendQuery { User = "carol", Outcome = BudgetSpendOutcome.Refused, Limit = 50 });
        Assert.NotEmpty(expected.Records);
        ILocator rows = page.Locator("#log-table tbody tr");
        Assert.Equal(expected.Records.Count, await rows.CountAsync());
        Assert.Equal(
            expected.Records.Select(r => r.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.sequence)"));
        foreach (string text in await rows.AllInnerTextsAsync())
        {
            Assert.Contains("refused", text, StringComparison.Ordinal);
            Assert.Contains("carol", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheLog_PagesOlderAndNewer()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.GotoAsync("/dashboard/projects/acme/log?outcome=charged");
        string[] first = await page.Locator("#log-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.sequence)");
        Assert.Equal(50, first.Length);

        await page.ClickAsync("a[rel=next]");
        string[] second = await page.Locator("#log-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.sequence)");
        Assert.True(long.Parse(second[0], System.Globalization.CultureInfo.InvariantCulture) < long.Parse(first[^1], System.Globalization.CultureInfo.InvariantCulture));

        await page.ClickAsync("a[rel=prev]");
        Assert.Equal(first, await page.Locator("#log-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.sequence)"));
    }

    [Fact]
    public async Task ARefusalsRecord_IsReachableFromTheRefusalsList()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        BudgetSpendRecord newest = Assert.Single((await fixture.Store.QuerySpendAsync(
            DashboardSeed.Project, new BudgetSpendQuery { Outcome = BudgetSpendOutcome.Refused, Limit = 1 })).Records);

        await page.ClickAsync("#refusals-table a.record-link >> nth=0");

        await Expect(page).ToHaveURLAsync(new Regex($"/dashboard/projects/acme/records/{newest.Sequence}$"));
        await Expect(page.Locator("#record-outcome")).ToHaveTextAsync("refused");
        await Expect(page.Locator("#record-refused-by")).ToContainTextAsync(newest.RefusedKey!);
        await Expect(page.Locator("#record-refused-by")).ToContainTextAsync(newest.RefusedWindow!);
        await Expect(page.Locator("#record-reason")).ToHaveTextAsync(newest.Reason!);
    }

    [Fact]
    public async Task AReadOnlyKey_SeesTheBudgets_ButCannotChangeThem()
    {
        IPage page = await SignedInAsync(DashboardFixture.ReadKey);
        await Expect(page.Locator("header .badge")).ToHaveTextAsync("read-only key");
        Assert.Equal(0, await page.Locator("nav >> text=New budget").CountAsync());
        Assert.Equal(0, await page.Locator("a.edit-link").CountAsync());
        Assert.True(await page.Locator("#budgets-table tbody tr").CountAsync() > 0);

        IResponse? answer = await page.GotoAsync("/dashboard/projects/acme/budgets/new");

        Assert.Equal(403, answer?.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Your key does not allow this page");
    }

    [Fact]
    public async Task AnotherProjectsPages_AreRefused()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);

        IResponse? answer = await page.GotoAsync("/dashboard/projects/other");

        Assert.Equal(403, answer?.Status);
        await Expect(page.Locator("main")).ToContainTextAsync("signed in with a key of project acme");
    }

    [Fact]
    public async Task AKeyOfAnotherProject_OpensThatProject()
    {
        IPage page = await SignedInAsync(DashboardFixture.OtherKey);

        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/projects/other$"));
        await Expect(page.Locator("header .project strong")).ToHaveTextAsync("other");
        await Expect(page.Locator("#budget-count")).ToHaveTextAsync("0");
    }

    [Fact]
    public async Task SigningOut_EndsTheSession()
    {
        IPage page = await SignedInAsync(DashboardFixture.AdminKey);

        await page.ClickAsync("header button:text('Sign out')");

        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/sign-in$"));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "budgetchat-dashboard");
        await page.GotoAsync("/dashboard/projects/acme");
        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/sign-in"));
    }

    [Fact]
    public async Task TheMainPage_SearchesAndPagesTheBudgets()
    {
        for (int i = 0; i < 120; i++)
        {
            await fixture.Store.SetBudgetAsync(DashboardSeed.Project, $"bulk:{i:D3}", new BudgetDefinition(10m, BudgetPeriod.Monthly));
        }

        IPage page = await SignedInAsync(DashboardFixture.AdminKey);
        await page.FillAsync("input[name=q]", "bulk:");
        await page.ClickAsync("form.filters button[type=submit]");

        await Expect(page.Locator("#match-count")).ToContainTextAsync("1–50 of 120 matching");
        Assert.Equal(50, await page.Locator("#budgets-table td.key").CountAsync());
        await page.ClickAsync("a[rel=next]");
        await Expect(page.Locator("#match-count")).ToContainTextAsync("51–100 of 120 matching");
        await Expect(page.Locator("#budgets-table td.key").First).ToContainTextAsync("bulk:050");
    }

    private async Task<IPage> OpenAsync()
    {
        IPage page = await fixture.Browser.NewPageAsync(fixture.Host.BaseAddress);
        _pages.Add(page);
        return page;
    }

    private async Task<IPage> SignedInAsync(string key)
    {
        IPage page = await OpenAsync();
        await page.GotoAsync("/dashboard/sign-in");
        await SignInAsync(page, key);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Budgets");
        return page;
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.FillAsync("input[name=Key]", key);
        await page.ClickAsync("button:text('Sign in')");
    }
}
