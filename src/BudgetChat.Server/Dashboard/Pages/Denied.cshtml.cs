using BudgetChat.Server.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>What a signed-in caller sees when their key does not allow a page: another project's, or a change with a read-only key.</summary>
[AllowAnonymous]
internal sealed class DeniedModel : DashboardPageModel
{
    public override string Title => "Not allowed";

    /// <summary>Gets or sets the page that was refused.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>Gets the project of the key signed in with, if any.</summary>
    public string? KeyProject { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        AuthenticateResult signedIn = await HttpContext.AuthenticateAsync(DashboardAccess.Scheme).ConfigureAwait(false);
        if (signedIn.Principal is { } principal)
        {
            // The page allows anyone, so the request's user is not the dashboard's: show the header as signed in.
            HttpContext.User = principal;
            KeyProject = ProjectAccess.KeyProject(principal);
        }

        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }
}
