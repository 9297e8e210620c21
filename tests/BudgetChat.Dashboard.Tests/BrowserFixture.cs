using Microsoft.Playwright;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// Chromium driven by Playwright, started by the first test that opens a page and shared by the others (so the tests
/// that need no browser run without one). The browser is the machine's (<c>/usr/bin/chromium</c>, or the path in
/// <c>BUDGETCHAT_CHROMIUM</c>): nothing is downloaded.
/// </summary>
public sealed class BrowserFixture : IAsyncDisposable
{
    /// <summary>The environment variable that names another Chromium executable.</summary>
    public const string ChromiumVariable = "BUDGETCHAT_CHROMIUM";

    private readonly SemaphoreSlim _starting = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Gets the Chromium executable used.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Opens a fresh browser context (its own cookies) on <paramref name="baseAddress"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        IBrowser browser = await StartAsync();
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _starting.Dispose();
    }

    private async Task<IBrowser> StartAsync()
    {
        await _starting.WaitAsync();
        try
        {
            return _browser ??= await LaunchAsync();
        }
        finally
        {
            _starting.Release();
        }
    }

    private async Task<IBrowser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The dashboard's browser tests need Chromium at {ChromiumPath}, and there is none. Install it (Debian or Ubuntu: " +
                $"sudo apt-get install -y chromium), or set {ChromiumVariable} to a Chromium executable. The tests never download a browser " +
                "(do not run 'playwright install').");
        }

        _playwright ??= await Playwright.CreateAsync();
        return await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // Root in a container has no user namespace for Chromium's sandbox; /dev/shm is often small there.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }
}
