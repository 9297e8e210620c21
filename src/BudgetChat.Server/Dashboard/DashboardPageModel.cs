using BudgetChat.Server.Authentication;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.Server.Dashboard;

/// <summary>
/// What every page of the dashboard shares: the project of its route, whether the caller may change budgets, open mode,
/// and the headers that keep its pages out of caches and frames and allow no script.
/// </summary>
/// <remarks>One instance per request, as every page model.</remarks>
internal abstract class DashboardPageModel : PageModel
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Gets the project of the route, or <see langword="null"/> on the pages that have none.</summary>
    public string? Project => RouteData.Values["project"] as string;

    /// <summary>Gets the page's title, after the project's name.</summary>
    public abstract string Title { get; }

    /// <summary>Gets a value indicating whether the caller may create, change and reset budgets (an admin key, or open mode).</summary>
    public bool CanChange => DashboardAccess.CanChange(User);

    /// <summary>Gets a value indicating whether the service runs without API keys (nobody signs in).</summary>
    public bool IsOpen => HttpContext.RequestServices.GetRequiredService<ApiKeyRegistry>().IsOpen;

    /// <summary>Gets a value indicating whether someone is signed in (false in open mode, where nobody needs to).</summary>
    public bool IsSignedIn => !IsOpen && User.Identity?.IsAuthenticated == true;

    /// <summary>Gets the role of the key signed in with, as configured (<c>admin</c>, <c>enforce</c>).</summary>
    public string? Role => ProjectAccess.KeyRole(User);

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Microsoft.AspNetCore.Http.IHeaderDictionary headers = context.HttpContext.Response.Headers;
        headers[HeaderNames.CacheControl] = "no-store";
        headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        base.OnPageHandlerExecuting(context);
    }
}
