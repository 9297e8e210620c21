using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>
/// Signing out: a form post (with its anti-forgery token, which names the signed-in caller: hence the policy, which
/// authenticates with the dashboard's cookie) that drops the cookie.
/// </summary>
[Authorize(Policy = DashboardAccess.SignedInPolicy)]
internal sealed class SignOutModel : DashboardPageModel
{
    public override string Title => "Sign out";

    public IActionResult OnGet() => Redirect(DashboardSetup.BasePath);

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(DashboardAccess.CookieScheme).ConfigureAwait(false);
        return Redirect(DashboardSetup.BasePath + "/sign-in");
    }
}
