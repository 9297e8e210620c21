using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>Signing out: a form post (with its anti-forgery token) that drops the cookie.</summary>
[AllowAnonymous]
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
