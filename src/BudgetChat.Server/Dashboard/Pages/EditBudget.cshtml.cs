using System.Globalization;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>
/// One budget (admin key): its windows, a form to change its main limit and period (its other limits, thresholds and
/// enforcement are kept, and so is its spend when only the amount changes), and a reset of its spend.
/// </summary>
[Authorize(Policy = DashboardAccess.AdminPolicy)]
internal sealed class EditBudgetModel(IBudgetStore store, TimeProvider time, ILogger<EditBudgetModel> logger) : DashboardPageModel
{
    public override string Title => "Budget " + (Key ?? string.Empty);

    [BindProperty(SupportsGet = true, Name = "key")]
    public string? Key { get; set; }

    [BindProperty(Name = "limit")]
    public string? Limit { get; set; }

    [BindProperty(Name = "period")]
    public string? Period { get; set; }

    [BindProperty(Name = "alignment")]
    public string? Alignment { get; set; }

    /// <summary>Gets or sets what the last change did (<c>changed</c>, <c>reset</c>), shown once after it.</summary>
    [BindProperty(SupportsGet = true, Name = "done")]
    public string? Done { get; set; }

    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public BudgetState? Budget { get; private set; }

    public DateTimeOffset Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken).ConfigureAwait(false))
        {
            return Page();
        }

        BudgetLimit main = Budget!.Definition.Limits[0];
        Limit = main.Amount.ToString("0.############", CultureInfo.InvariantCulture);
        Period = BudgetPeriodNames.ToName(main.Period);
        Alignment = main.Alignment == BudgetWindowAlignment.Rolling ? "rolling" : "calendar";
        return Page();
    }

    public async Task<IActionResult> OnPostChangeAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken).ConfigureAwait(false))
        {
            return Page();
        }

        BudgetLimit? main = BudgetForm.ReadMainLimit(Limit, Period, Alignment, Errors, BudgetForm.KeptName(Budget!.Definition.Limits[0]));
        BudgetDefinition? definition = null;
        if (main is not null)
        {
            try
            {
                definition = BudgetForm.WithMainLimit(Budget.Definition, main);
            }
            catch (ArgumentException exception)
            {
                // Two limits of one name: the main limit's new default name is another limit's.
                Errors["period"] = exception.Message;
            }
        }

        if (definition is null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await store.SetBudgetAsync(Project!, Key!, definition, cancellationToken: cancellationToken).ConfigureAwait(false);
        DashboardLog.BudgetChanged(logger, Project!, Key!, "changed");
        return Redirect(DashboardLinks.EditBudget(Project!, Key!, "changed"));
    }

    public async Task<IActionResult> OnPostResetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken).ConfigureAwait(false))
        {
            return Page();
        }

        await store.ResetBudgetAsync(Project!, Key!, cancellationToken).ConfigureAwait(false);
        DashboardLog.BudgetChanged(logger, Project!, Key!, "reset");
        return Redirect(DashboardLinks.EditBudget(Project!, Key!, "reset"));
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        Now = time.GetUtcNow();
        Key = Key?.Trim();
        try
        {
            BudgetStoreArguments.Key(Project!, Key!);
            Budget = await store.GetBudgetAsync(Project!, Key!, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            Budget = null;
        }

        if (Budget is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return false;
        }

        return true;
    }
}
