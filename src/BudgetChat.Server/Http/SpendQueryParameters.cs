using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;

namespace BudgetChat.Server.Http;

/// <summary>
/// The query parameters of <c>GET /v1/projects/{project}/spend</c> as they arrive, text, for the OpenAPI document and
/// <see cref="SpendQueryReader"/>, which checks them and names each one at fault.
/// </summary>
internal sealed class SpendQueryParameters
{
    [FromQuery(Name = "from"), Description("The earliest record time included: ISO 8601 with an offset (2026-03-01T00:00:00Z), or a date (2026-03-01, midnight UTC).")]
    public string? From { get; init; }

    [FromQuery(Name = "to"), Description("The time records must be before (excluded), written as 'from'.")]
    public string? To { get; init; }

    [FromQuery(Name = "user"), Description("Only the records of this user.")]
    public string? User { get; init; }

    [FromQuery(Name = "key"), Description("Only the records charged to, held on or refused by this budget key.")]
    public string? Key { get; init; }

    [FromQuery(Name = "model"), Description("Only the records of calls this model answered (exact id).")]
    public string? Model { get; init; }

    [FromQuery(Name = "outcome"), Description("An outcome (charged, estimated, refused, released, reset, adjusted) or a mark (reduced, downgraded, would_refuse); repeat it, or separate names by commas, to require a mark as well.")]
    public string[]? Outcome { get; init; }

    [FromQuery(Name = "groupBy"), Description("none, user, model, key, day, hour or outcome: answer the totals of each group instead of records ('limit' and 'order' are ignored; 'before' and 'after' still filter).")]
    public string? GroupBy { get; init; }

    [FromQuery(Name = "limit"), Description("The most records in the page, 1 to 10000; 100 when left out.")]
    public string? Limit { get; init; }

    [FromQuery(Name = "before"), Description("Only records whose sequence is below this one: the 'next' of a newest-first page.")]
    public string? Before { get; init; }

    [FromQuery(Name = "after"), Description("Only records whose sequence is above this one: the 'next' of an oldest-first page.")]
    public string? After { get; init; }

    [FromQuery(Name = "order"), Description("newest (the default) or oldest first.")]
    public string? Order { get; init; }

    [FromQuery(Name = "top"), Description("With 'groupBy': only this many groups, the first in the answer's order (the costliest; for days and hours the earliest), 1 to 10000; all when left out.")]
    public string? Top { get; init; }

    [FromQuery(Name = "format"), Description("json (the default) or csv; without it, 'Accept: text/csv' asks for CSV.")]
    public string? Format { get; init; }
}
