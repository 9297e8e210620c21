using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BudgetChat.Server.Tests;
using BudgetChat.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.Dashboard.Tests;

/// <summary>The dashboard on the wire: sign-in, its cookie, anti-forgery, origins, open mode, and what it shows without a spend ledger.</summary>
[Collection(DashboardServerFixtureGroup.Name)]
public sealed class DashboardHttpTests(DashboardFixture fixture)
{
    [Fact]
    public async Task AnAnonymousVisitor_IsSentToSignIn_AndBackAfterwards()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);

        using HttpResponseMessage page = await client.Http.GetAsync("/dashboard/projects/acme/log?user=bob");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/dashboard/sign-in", page.Headers.Location?.AbsolutePath);
        string returnUrl = System.Web.HttpUtility.ParseQueryString(page.Headers.Location!.Query)["ReturnUrl"]!;
        Assert.Equal("/dashboard/projects/acme/log?user=bob", returnUrl);

        using HttpResponseMessage signedIn = await client.SignInAsync(DashboardFixture.AdminKey, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(returnUrl, signedIn.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SigningIn_NeverSendsTheCallerToAnotherSite()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);

        using HttpResponseMessage signedIn = await client.SignInAsync(DashboardFixture.AdminKey, "https://evil.example/dashboard/projects/acme");

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/dashboard/projects/acme", signedIn.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task TheSignInCookie_IsHttpOnly_SameSiteStrict_ForTheDashboardOnly_AndHoldsNoKey()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);

        using HttpResponseMessage signedIn = await client.SignInAsync(DashboardFixture.AdminKey);

        string cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("budgetchat-dashboard=", StringComparison.Ordinal));
        Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; path=/dashboard", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(DashboardFixture.AdminKey, cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverHttps_TheCookiesAreSecure()
    {
        using X509Certificate2 certificate = SelfSignedLoopbackCertificate();
        var options = new BudgetServerHostOptions
        {
            Store = new InMemoryBudgetStore(),
            ConfigureBuilder = builder =>
            {
                builder.WebHost.UseUrls("https://127.0.0.1:0");
                builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
            },
        };
        options.ApiKeys.Add((DashboardSeed.Project, DashboardFixture.AdminKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        using var client = new DashboardClient(host.BaseAddress, acceptAnyCertificate: true);
        Assert.Equal("https", host.BaseAddress.Scheme);

        using HttpResponseMessage signedIn = await client.SignInAsync(DashboardFixture.AdminKey);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        string[] cookies = [.. signedIn.Headers.GetValues("Set-Cookie")];
        Assert.Contains(cookies, c => c.StartsWith("budgetchat-dashboard=", StringComparison.Ordinal));
        Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SigningIn_WithoutTheAntiforgeryToken_IsRefused()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.GetTokenAsync("/dashboard/sign-in");

        using HttpResponseMessage answer = await client.PostAsync("/dashboard/sign-in", token: null, ("Key", DashboardFixture.AdminKey));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.False(answer.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? cookies) && cookies.Any(c => c.StartsWith("budgetchat-dashboard=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AFormPost_WithoutTheAntiforgeryToken_IsRefused_AndChangesNothing()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);
        string token = await client.GetTokenAsync("/dashboard/projects/acme/budgets/new");
        (string, string)[] fields = [("key", "user:forged"), ("limit", "1000"), ("period", "monthly"), ("alignment", "calendar")];

        using HttpResponseMessage forged = await client.PostAsync("/dashboard/projects/acme/budgets/new", token: null, fields);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:forged"));

        // The same post with the form's token goes through.
        using HttpResponseMessage genuine = await client.PostAsync("/dashboard/projects/acme/budgets/new", token, fields);
        Assert.Equal(HttpStatusCode.Redirect, genuine.StatusCode);
        Assert.Equal(1000m, (await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:forged"))?.Limit);
    }

    [Fact]
    public async Task AFormPost_WithAnotherSessionsToken_IsRefused()
    {
        using var attacker = new DashboardClient(fixture.Host.BaseAddress);
        await attacker.SignInAsync(DashboardFixture.ReadKey);
        string attackersToken = await attacker.GetTokenAsync("/dashboard/sign-in");
        using var victim = new DashboardClient(fixture.Host.BaseAddress);
        await victim.SignInAsync(DashboardFixture.AdminKey);

        using HttpResponseMessage answer = await victim.PostAsync(
            "/dashboard/projects/acme/budgets/edit?handler=reset", attackersToken, ("key", "user:alice"));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
    }

    [Fact]
    public async Task AFormPost_FromAnotherSite_IsRefused()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);
        string token = await client.GetTokenAsync("/dashboard/projects/acme/budgets/new");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dashboard/projects/acme/budgets/new")
        {
            Content = new FormUrlEncodedContent([
                KeyValuePair.Create("key", "user:cross-site"), KeyValuePair.Create("limit", "5"), KeyValuePair.Create("period", "daily"),
                KeyValuePair.Create("__RequestVerificationToken", token)]),
        };
        request.Headers.Add("Origin", "https://evil.example");

        using HttpResponseMessage answer = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Null(await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:cross-site"));
    }

    [Fact]
    public async Task AFormPost_FromTheDashboardsOwnHost_BehindAProxyThatEndsTls_IsServed()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);
        string token = await client.GetTokenAsync("/dashboard/projects/acme/budgets/new");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dashboard/projects/acme/budgets/new")
        {
            Content = new FormUrlEncodedContent([
                KeyValuePair.Create("key", "user:behind-proxy"), KeyValuePair.Create("limit", "5"), KeyValuePair.Create("period", "daily"),
                KeyValuePair.Create("__RequestVerificationToken", token)]),
        };

        // The browser saw https://127.0.0.1 (the proxy's port 443); the service is reached over http on another port.
        request.Headers.Add("Origin", "https://127.0.0.1");
        using HttpResponseMessage answer = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal(5m, (await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:behind-proxy"))?.Limit);
    }

    [Fact]
    public async Task ABodyThatIsNotAForm_Is415()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);

        using HttpResponseMessage answer = await client.Http.PostAsync("/dashboard/sign-in", new StringContent("""{"Key":"x"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, answer.StatusCode);
        Assert.Contains("application/x-www-form-urlencoded", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApi_DoesNotAcceptTheDashboardsCookie()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);

        // The browser would not send a cookie of path /dashboard there; a client that does is still not let in.
        client.Cookies.Add(fixture.Host.BaseAddress, new Cookie("budgetchat-dashboard", client.Cookies.GetCookies(new Uri(fixture.Host.BaseAddress, "/dashboard/"))["budgetchat-dashboard"]!.Value, "/"));
        using HttpResponseMessage answer = await client.Http.GetAsync("/v1/projects/acme/budgets");

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }

    [Fact]
    public async Task ThePages_AllowNoScript_NoFraming_AndNoCaching()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);

        using HttpResponseMessage page = await client.Http.GetAsync("/dashboard/projects/acme");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
        Assert.True(page.Headers.CacheControl?.NoStore);
        string html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheStylesheet_IsServedWithoutSigningIn()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);

        using HttpResponseMessage css = await client.Http.GetAsync("/dashboard/dashboard.css");

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains("header.top", await css.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARecordTheLedgerDoesNotHave_Is404()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);

        using HttpResponseMessage page = await client.Http.GetAsync("/dashboard/projects/acme/records/987654321");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("id=\"record-missing\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLog_FiltersByKeyModelAndTimeRange()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);
        DateTimeOffset from = DashboardFixture.End.AddDays(-5), to = DashboardFixture.End.AddDays(-2);
        var expected = await fixture.Store.QuerySpendAsync(
            DashboardSeed.Project, new BudgetSpendQuery { Key = "user:alice", Model = "gpt-4o", From = from, To = to, Limit = 50 });
        Assert.NotEmpty(expected.Records);

        using HttpResponseMessage page = await client.Http.GetAsync(
            $"/dashboard/projects/acme/log?key=user%3Aalice&model=gpt-4o&from={from.UtcDateTime:yyyy-MM-dd'T'HH:mm}&to={to.UtcDateTime:yyyy-MM-dd'T'HH:mm}");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        string[] shown = [.. System.Text.RegularExpressions.Regex.Matches(html, "data-sequence=\"(\\d+)\"").Select(m => m.Groups[1].Value)];
        Assert.Equal(expected.Records.Select(r => r.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), shown);
    }

    [Theory]
    [InlineData("outcome=bogus", "outcome", "&#x27;bogus&#x27; is not an outcome")]
    [InlineData("from=yesterday", "from", "&#x27;yesterday&#x27; is not a time")]
    [InlineData("from=2026-05-02T00:00&to=2026-05-01T00:00", "to", "before its start")]
    public async Task TheLog_NamesAFilterItCannotRead(string query, string field, string message)
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);

        using HttpResponseMessage page = await client.Http.GetAsync("/dashboard/projects/acme/log?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"<strong>{field}</strong>", html, StringComparison.Ordinal);
        Assert.Contains(message, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeletedOrUnknownBudget_HasNoEditPage()
    {
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);

        using HttpResponseMessage page = await client.Http.GetAsync("/dashboard/projects/acme/budgets/edit?key=user:nobody");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("id=\"budget-missing\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReadOnlyKey_CannotPostAChange()
    {
        await fixture.Store.SetBudgetAsync(DashboardSeed.Project, "user:read-only-target", new BudgetDefinition(5m, BudgetPeriod.Monthly));
        using var client = new DashboardClient(fixture.Host.BaseAddress);
        await client.SignInAsync(DashboardFixture.ReadKey);
        string token = await client.GetTokenAsync("/dashboard/projects/acme");

        using HttpResponseMessage answer = await client.PostAsync(
            "/dashboard/projects/acme/budgets/edit?handler=change", token, ("key", "user:read-only-target"), ("limit", "500"), ("period", "monthly"));

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/dashboard/denied", answer.Headers.Location?.AbsolutePath);
        Assert.Equal(5m, (await fixture.Store.GetBudgetAsync(DashboardSeed.Project, "user:read-only-target"))?.Limit);
    }

    [Fact]
    public async Task InOpenMode_TheDashboardNeedsNoSignIn_OnLoopback()
    {
        var store = new InMemoryBudgetStore();
        await store.SetBudgetAsync("default", "user:ann", new BudgetDefinition(3m, BudgetPeriod.Daily));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(new BudgetServerHostOptions { Store = store });
        using var client = new DashboardClient(host.BaseAddress);

        using HttpResponseMessage entry = await client.Http.GetAsync("/dashboard?project=default");
        Assert.Equal(HttpStatusCode.Redirect, entry.StatusCode);
        Assert.Equal("/dashboard/projects/default", entry.Headers.Location?.OriginalString);
        using HttpResponseMessage page = await client.Http.GetAsync("/dashboard/projects/default");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("open mode · loopback only", System.Net.WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.Contains("data-key=\"user:ann\"", html, StringComparison.Ordinal);

        // Every change is allowed, with the form's token as ever.
        string token = await client.GetTokenAsync("/dashboard/projects/default/budgets/new");
        using HttpResponseMessage created = await client.PostAsync(
            "/dashboard/projects/default/budgets/new", token, ("key", "user:ben"), ("limit", "2"), ("period", "weekly"), ("alignment", "rolling"));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(new BudgetDefinition(2m, BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling), (await store.GetBudgetAsync("default", "user:ben"))?.Definition);

        // A page of another name that resolves to this machine (DNS rebinding) is not served.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/dashboard/projects/default");
        rebound.Headers.Host = "rebind.evil.example";
        using HttpResponseMessage refused = await client.Http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
    }

    [Fact]
    public async Task AStoreWithoutASpendLedger_ShowsBudgets_AndSaysItKeepsNoRecords()
    {
        var inner = new InMemoryBudgetStore();
        await inner.SetBudgetAsync(DashboardSeed.Project, "user:ann", new BudgetDefinition(3m, BudgetPeriod.Daily));
        await using BudgetServerHost host = await DashboardFixture.StartAsync(new OutageStore(inner));
        using var client = new DashboardClient(host.BaseAddress);
        await client.SignInAsync(DashboardFixture.AdminKey);

        foreach (string path in new[] { "/dashboard/projects/acme", "/dashboard/projects/acme/log", "/dashboard/projects/acme/records/1" })
        {
            using HttpResponseMessage page = await client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("id=\"no-spend-log\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using HttpResponseMessage main = await client.Http.GetAsync("/dashboard/projects/acme");
        Assert.Contains("data-key=\"user:ann\"", await main.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDashboard_CanBeTurnedOff()
    {
        var options = new BudgetServerHostOptions { Store = new InMemoryBudgetStore() };
        options.Configuration["BudgetServer:Dashboard:Enabled"] = "false";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        using var client = new DashboardClient(host.BaseAddress);

        foreach (string path in new[] { "/dashboard", "/dashboard/sign-in", "/dashboard/projects/default", "/dashboard/dashboard.css" })
        {
            using HttpResponseMessage page = await client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        }
    }

    private static X509Certificate2 SelfSignedLoopbackCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        // Kestrel needs the key in a form it can use on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
