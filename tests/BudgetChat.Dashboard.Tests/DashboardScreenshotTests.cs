using BudgetChat.Server.Tests;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// Screenshots of the dashboard's main pages, of a freshly seeded service (the other tests add budgets to the shared one).
/// Written to a temporary folder, or to the folder <c>BUDGETCHAT_SCREENSHOTS</c> names: the README's images are made with
/// <c>BUDGETCHAT_SCREENSHOTS=$PWD/docs/images dotnet test tests/BudgetChat.Dashboard.Tests --filter Screenshots</c>.
/// </summary>
[Collection(DashboardServerFixtureGroup.Name)]
public sealed class DashboardScreenshotTests(DashboardFixture fixture)
{
    public const string FolderVariable = "BUDGETCHAT_SCREENSHOTS";

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public async Task Screenshots_OfTheBudgetsTheLogAndARefusal()
    {
        string folder = Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "budgetchat-screenshots");
        Directory.CreateDirectory(folder);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-16));
        var store = new InMemoryBudgetStore(new BudgetStoreOptions { SpendRecordCapacity = 100_000 }, time);
        await DashboardSeed.RunAsync(store, time, DashboardFixture.End);
        await using BudgetServerHost host = await DashboardFixture.StartAsync(store, time);
        IPage page = await fixture.Browser.NewPageAsync(host.BaseAddress);
        try
        {
            await page.GotoAsync("/dashboard/sign-in");
            await page.FillAsync("input[name=Key]", DashboardFixture.AdminKey);
            await page.ClickAsync("button:text('Sign in')");
            await Expect(page.Locator("#daily-chart svg.chart")).ToBeVisibleAsync();
            string budgets = Path.Combine(folder, "dashboard-budgets.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = budgets, FullPage = true });

            await page.GotoAsync("/dashboard/projects/acme/log");
            await Expect(page.Locator("#log-table")).ToBeVisibleAsync();
            string log = Path.Combine(folder, "dashboard-log.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = log });

            await page.GotoAsync("/dashboard/projects/acme");
            await page.ClickAsync("#refusals-table a.record-link >> nth=0");
            await Expect(page.Locator("#record-outcome")).ToHaveTextAsync("refused");
            string refusal = Path.Combine(folder, "dashboard-refusal.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = refusal, FullPage = true });

            foreach (string file in new[] { budgets, log, refusal })
            {
                byte[] png = await File.ReadAllBytesAsync(file);
                Assert.Equal(PngSignature, png.Take(PngSignature.Length));
                Assert.Equal(1360, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
            }
        }
        finally
        {
            await page.Context.DisposeAsync();
        }
    }
}
