using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Dashboard.Pages;

/// <summary>One record of the spend ledger, every field of it: a refusal's budget and limit, a call's tokens and cost.</summary>
[Authorize(Policy = DashboardAccess.ReadPolicy)]
internal sealed class RecordModel(IBudgetStore store) : DashboardPageModel
{
    public override string Title => "Record";

    public bool HasSpendLog { get; private set; }

    /// <summary>Gets the record's sequence, from the route.</summary>
    public long Sequence { get; private set; }

    /// <summary>Gets the record, or <see langword="null"/> when the ledger has none of that sequence (never, or pruned).</summary>
    public BudgetSpendRecord? Record { get; private set; }

    public async Task<IActionResult> OnGetAsync(long sequence, CancellationToken cancellationToken)
    {
        Sequence = sequence;
        if (store is not IBudgetSpendLog log)
        {
            return Page();
        }

        HasSpendLog = true;
        if (sequence is > 0 and < long.MaxValue)
        {
            // The newest record before sequence + 1 is the record itself when the ledger still has it.
            BudgetSpendPage page = await log.QuerySpendAsync(Project!, new BudgetSpendQuery { Before = sequence + 1, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            Record = page.Records is [var found] && found.Sequence == sequence ? found : null;
        }

        if (Record is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }
}
