using Microsoft.Playwright;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// Chromium driven by Playwright, started once for the tests that share it. The browser is the machine's
/// (<c>/usr/bin/chromium</c>, or the path in <c>BUDGETCHAT_CHROMIUM</c>): nothing is downloaded.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The environment variable that names another Chromium executable.</summary>
    public const string ChromiumVariable = "BUDGETCHAT_CHROMIUM";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Gets the browser.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>Gets the Chromium executable used.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The dashboard's browser tests need Chromium at {ChromiumPath}, and there is none. Install it (Debian or Ubuntu: " +
                $"sudo apt-get install -y chromium), or set {ChromiumVariable} to a Chromium executable. The tests never download a browser " +
                "(do not run 'playwright install').");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // Root in a container has no user namespace for Chromium's sandbox; /dev/shm is often small there.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    /// <summary>Opens a fresh browser context (its own cookies) on <paramref name="baseAddress"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
