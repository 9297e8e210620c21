using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>Creating a budget (admin key): a key, a dollar limit and its period. A key that has a budget is not changed here.</summary>
[Authorize(Policy = DashboardAccess.AdminPolicy)]
internal sealed class NewBudgetModel(IBudgetStore store, ILogger<NewBudgetModel> logger) : DashboardPageModel
{
    public override string Title => "New budget";

    [BindProperty(Name = "key")]
    public string? Key { get; set; }

    [BindProperty(Name = "limit")]
    public string? Limit { get; set; }

    [BindProperty(Name = "period")]
    public string? Period { get; set; } = "monthly";

    [BindProperty(Name = "alignment")]
    public string? Alignment { get; set; } = "calendar";

    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public IActionResult OnGet() => Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        string project = Project!;
        string key = Key?.Trim() ?? string.Empty;
        try
        {
            Stores.BudgetStoreArguments.Key(project, key);
        }
        catch (ArgumentException)
        {
            Errors["key"] = key.Length == 0 ? "Enter the budget's key, for example user:1234 or global." : $"'{key}' is not a budget key.";
        }

        BudgetLimit? main = BudgetForm.ReadMainLimit(Limit, Period, Alignment, Errors);
        if (main is not null && Errors.Count == 0)
        {
            var definition = new BudgetDefinition([main]);
            if (await store.GetBudgetAsync(project, key, cancellationToken).ConfigureAwait(false) is not null)
            {
                Errors["key"] = $"'{key}' has a budget already: change it from its edit page.";
            }
            else
            {
                // Get-or-create, so that a budget created meanwhile by someone else is not overwritten.
                BudgetState created = await store.GetOrCreateBudgetAsync(project, key, definition, cancellationToken).ConfigureAwait(false);
                if (!created.Definition.Equals(definition))
                {
                    Errors["key"] = $"'{key}' was given a budget by someone else meanwhile: change it from its edit page.";
                }
                else
                {
                    DashboardLog.BudgetChanged(logger, project, key, "created");
                    return Redirect(DashboardLinks.Budgets(project, ("q", key), ("done", "created")));
                }
            }
        }

        Key = key;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
