using BudgetChat.Server.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>
/// Signing in with an API key: an admin key may change budgets, an enforce key only reads. The cookie names the key's
/// project and role, never the key. In open mode nobody signs in.
/// </summary>
[AllowAnonymous]
internal sealed class SignInModel(ApiKeyRegistry keys, ILogger<SignInModel> logger) : DashboardPageModel
{
    public override string Title => "Sign in";

    /// <summary>Gets or sets the API key typed in.</summary>
    [BindProperty]
    public string? Key { get; set; }

    /// <summary>Gets or sets the dashboard page to go back to once signed in.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>Gets what was wrong with the key, if anything.</summary>
    public string? KeyError { get; private set; }

    public IActionResult OnGet() => keys.IsOpen ? Redirect(DashboardSetup.BasePath) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        if (keys.IsOpen)
        {
            return Redirect(DashboardSetup.BasePath);
        }

        string presented = Key?.Trim() ?? string.Empty;
        ApiKeyGrant? grant = presented.Length == 0 ? null : keys.Find(presented);
        if (grant is null)
        {
            DashboardLog.SignInRefused(logger, HttpContext.Connection.RemoteIpAddress?.ToString());
            KeyError = presented.Length == 0 ? "Enter an API key." : "This key is not valid for this service.";
            Key = null;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await HttpContext.SignInAsync(DashboardAccess.CookieScheme, DashboardAccess.SignedIn(grant.Project, grant.Role)).ConfigureAwait(false);
        DashboardLog.SignedIn(logger, grant.Project, ProjectAccess.RoleName(grant.Role), HttpContext.Connection.RemoteIpAddress?.ToString());

        // Back to the page that asked for a sign-in, if it is one of the dashboard's; else the key's project.
        return Url.IsLocalUrl(ReturnUrl) && ReturnUrl.StartsWith(DashboardSetup.BasePath + "/projects/" + Uri.EscapeDataString(grant.Project), StringComparison.Ordinal)
            ? LocalRedirect(ReturnUrl)
            : Redirect(DashboardLinks.Project(grant.Project));
    }
}
