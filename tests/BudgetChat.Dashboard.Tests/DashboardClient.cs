using System.Net;
using System.Text.RegularExpressions;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// A browser without a browser, for what the tests check on the wire: an <see cref="HttpClient"/> with a cookie jar that
/// does not follow redirects, and reads the anti-forgery token a page's form carries.
/// </summary>
internal sealed partial class DashboardClient : IDisposable
{
    private readonly HttpClientHandler _handler;

    public DashboardClient(Uri baseAddress, bool acceptAnyCertificate = false)
    {
        _handler = new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false, UseCookies = true };
        if (acceptAnyCertificate)
        {
            _handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
        }

        Http = new HttpClient(_handler) { BaseAddress = baseAddress };
    }

    public CookieContainer Cookies { get; } = new();

    public HttpClient Http { get; }

    /// <summary>Reads the anti-forgery token of the first form of a page.</summary>
    public async Task<string> GetTokenAsync(string path)
    {
        using HttpResponseMessage page = await Http.GetAsync(path);
        Assert.True(page.IsSuccessStatusCode, $"GET {path}: {(int)page.StatusCode}");
        return TokenOf(await page.Content.ReadAsStringAsync());
    }

    /// <summary>Signs in as a browser does: reads the form's token, posts the key with it.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string key, string? returnUrl = null)
    {
        string token = await GetTokenAsync("/dashboard/sign-in");
        return await PostAsync("/dashboard/sign-in", token, ("Key", key), ("ReturnUrl", returnUrl ?? string.Empty));
    }

    /// <summary>Posts a form, with the anti-forgery token when <paramref name="token"/> is given.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string? token, params (string Name, string Value)[] fields)
    {
        List<KeyValuePair<string, string>> form = [.. fields.Select(f => KeyValuePair.Create(f.Name, f.Value))];
        if (token is not null)
        {
            form.Add(KeyValuePair.Create("__RequestVerificationToken", token));
        }

        return Http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    public static string TokenOf(string html) =>
        TokenPattern().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("The page has no anti-forgery token.");

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
