using BudgetChat.Server.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.Server.Dashboard;

/// <summary>
/// Registers and maps the dashboard: Razor Pages under <c>Dashboard/Pages</c> (rendered on the server, no script), its
/// stylesheet, its sign-in cookie and anti-forgery tokens.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class DashboardSetup
{
    /// <summary>The path every page of the dashboard is under.</summary>
    public const string BasePath = "/dashboard";

    public const string StylesheetPath = BasePath + "/dashboard.css";

    public static void AddDashboard(IServiceCollection services)
    {
        // The service's pages are compiled into this assembly, which is not the entry assembly when another host (a test)
        // runs the service: add it as an application part explicitly, once.
        services.AddRazorPages(static options => options.RootDirectory = "/Dashboard/Pages")
            .ConfigureApplicationPartManager(static parts =>
            {
                System.Reflection.Assembly assembly = typeof(DashboardSetup).Assembly;
                if (!parts.ApplicationParts.OfType<AssemblyPart>().Any(p => p.Assembly == assembly))
                {
                    foreach (ApplicationPart part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
                    {
                        parts.ApplicationParts.Add(part);
                    }
                }
            });

        // The sign-in cookie and the anti-forgery tokens are protected with keys kept in memory: a restart signs everyone
        // out, and no key file is written beside the data. A host may configure data protection again after CreateBuilder.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();

        services.AddAuthentication()
            .AddCookie(DashboardAccess.CookieScheme, static _ => { })
            .AddPolicyScheme(DashboardAccess.Scheme, displayName: null, static options =>
                options.ForwardDefaultSelector = static context =>
                    context.RequestServices.GetRequiredService<ApiKeyRegistry>().IsOpen ? ProjectAccess.SchemeName : DashboardAccess.CookieScheme);
        services.AddOptions<CookieAuthenticationOptions>(DashboardAccess.CookieScheme).Configure<IOptions<BudgetServerOptions>>(static (cookie, server) =>
        {
            cookie.Cookie.Name = DashboardAccess.CookieName;
            cookie.Cookie.Path = BasePath;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = server.Value.Dashboard.SignInLifetime;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = BasePath + "/sign-in";
            cookie.LogoutPath = BasePath + "/sign-out";
            cookie.AccessDeniedPath = BasePath + "/denied";
        });
        DashboardAccess.AddPolicies(services.AddAuthorizationBuilder());

        services.AddAntiforgery(static options =>
        {
            options.Cookie.Name = DashboardAccess.AntiforgeryCookieName;
            options.Cookie.Path = BasePath;
            options.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
    }

    public static void MapDashboard(IEndpointRouteBuilder endpoints)
    {
        if (!endpoints.ServiceProvider.GetRequiredService<IOptions<BudgetServerOptions>>().Value.Dashboard.Enabled)
        {
            return;
        }

        endpoints.MapRazorPages();
        byte[] stylesheet = ReadStylesheet();
        endpoints.MapGet(StylesheetPath, (HttpContext context) =>
        {
            context.Response.Headers[HeaderNames.CacheControl] = "public, max-age=3600";
            context.Response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
            return Results.Bytes(stylesheet, "text/css; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
    }

    private static byte[] ReadStylesheet()
    {
        using Stream stream = typeof(DashboardSetup).Assembly.GetManifestResourceStream("BudgetChat.Server.Dashboard.dashboard.css")
            ?? throw new InvalidOperationException("The dashboard's stylesheet is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
