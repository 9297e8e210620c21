using BudgetChat.Server.Authentication;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>
/// The dashboard's entry: sends the caller to the project of their key, or in open mode to the project asked for
/// (<c>?project=</c>, else the middleware's default project).
/// </summary>
[Authorize(Policy = DashboardAccess.SignedInPolicy)]
internal sealed class IndexModel : DashboardPageModel
{
    public override string Title => "Dashboard";

    /// <summary>Gets or sets the project asked for (open mode).</summary>
    [BindProperty(SupportsGet = true, Name = "project")]
    public string? AskedProject { get; set; }

    public IActionResult OnGet()
    {
        string project = ProjectAccess.KeyProject(User)
            ?? (string.IsNullOrWhiteSpace(AskedProject) ? BudgetingChatClientOptions.DefaultProjectName : AskedProject.Trim());
        try
        {
            BudgetStoreArguments.Project(project);
        }
        catch (ArgumentException)
        {
            project = BudgetingChatClientOptions.DefaultProjectName;
        }

        return Redirect(DashboardLinks.Project(project));
    }
}
