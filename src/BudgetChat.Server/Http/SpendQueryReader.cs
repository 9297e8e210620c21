using System.Globalization;
using BudgetChat.Http.Wire;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.Server.Http;

/// <summary>What <c>GET .../spend</c> asks for: the query, a grouping (or records), and whether the answer is CSV.</summary>
internal sealed record SpendRequest(BudgetSpendQuery Query, BudgetSpendGrouping? Grouping, bool Csv);

/// <summary>
/// Reads the query parameters of <c>GET /v1/projects/{project}/spend</c> (<see cref="SpendQueryParameters"/>) into a
/// <see cref="SpendRequest"/>, or a 400 that names every parameter at fault. This type is thread-safe.
/// </summary>
internal static class SpendQueryReader
{
    public static IResult? Read(HttpRequest request, SpendQueryParameters parameters, out SpendRequest read)
    {
        var errors = new ValidationErrors();
        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in request.Query)
        {
            if (!SpendQueryNames.All.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(name, $"The query parameter '{name}' is not one of {string.Join(", ", SpendQueryNames.All)}.");
            }
            else if (values.Count > 1 && !string.Equals(name, SpendQueryNames.Outcome, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(Canonical(name), $"The query parameter '{Canonical(name)}' appears more than once.");
            }
        }

        var query = new BudgetSpendQuery
        {
            From = Time(SpendQueryNames.From, parameters.From, errors),
            To = Time(SpendQueryNames.To, parameters.To, errors),
            User = Text(SpendQueryNames.User, parameters.User, BudgetStoreArguments.MaxRecordText, errors),
            Key = Text(SpendQueryNames.Key, parameters.Key, WireLimits.MaxIdLength, errors),
            Model = Text(SpendQueryNames.Model, parameters.Model, WireLimits.MaxIdLength, errors),
            Limit = (int)(Number(SpendQueryNames.Limit, parameters.Limit, 1, BudgetSpendQuery.MaxLimit, errors) ?? 100),
            Before = Number(SpendQueryNames.Before, parameters.Before, 0, long.MaxValue, errors),
            After = Number(SpendQueryNames.After, parameters.After, 0, long.MaxValue, errors),
            Top = (int?)Number(SpendQueryNames.Top, parameters.Top, 1, BudgetSpendQuery.MaxLimit, errors),
            OldestFirst = parameters.Order?.ToUpperInvariant() switch
            {
                null or "NEWEST" => false,
                "OLDEST" => true,
                _ => Invalid(SpendQueryNames.Order, $"The query parameter 'order' is '{parameters.Order}'; it is 'newest' or 'oldest'.", errors, false),
            },
        };

        if (query.From is { } from && query.To is { } to && to < from)
        {
            errors.Add(SpendQueryNames.To, $"The query parameter 'to' ({to:O}) is before 'from' ({from:O}).");
        }

        query = Outcomes(query, parameters.Outcome, errors);

        BudgetSpendGrouping? grouping = null;
        if (parameters.GroupBy is not null)
        {
            grouping = BudgetSpendNames.TryParseGrouping(parameters.GroupBy, out BudgetSpendGrouping by)
                ? by
                : Invalid<BudgetSpendGrouping?>(SpendQueryNames.GroupBy, $"The query parameter 'groupBy' is '{parameters.GroupBy}'; it is one of none, user, model, key, day, hour, outcome.", errors, null);
        }

        bool csv = parameters.Format?.ToUpperInvariant() switch
        {
            null => PrefersCsv(request),
            "JSON" => false,
            "CSV" => true,
            _ => Invalid(SpendQueryNames.Format, $"The query parameter 'format' is '{parameters.Format}'; it is 'json' or 'csv'.", errors, false),
        };

        read = new SpendRequest(query, grouping, csv);
        return errors.HasErrors ? errors.ToResult() : null;
    }

    // Query parameter names are read without regard to case; errors name them as documented.
    private static string Canonical(string name) =>
        SpendQueryNames.All.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) ?? name;

    private static T Invalid<T>(string name, string message, ValidationErrors errors, T value)
    {
        errors.Add(name, message);
        return value;
    }

    // ISO 8601 with an offset, as in request bodies, or a date alone (midnight UTC), which is how a report is usually
    // bounded. A '+' of an offset that arrived unescaped was read as a space: it is taken back.
    private static DateTimeOffset? Time(string name, string? text, ValidationErrors errors)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length > 6 && text[^6] == ' ' && text[^3] == ':')
        {
            text = string.Concat(text.AsSpan(0, text.Length - 6), "+", text.AsSpan(text.Length - 5));
        }

        DateTimeOffset time;
        bool parsed = DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time)
            || (HasOffset(text) && text.Contains('T', StringComparison.OrdinalIgnoreCase)
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time));
        if (!parsed)
        {
            errors.Add(name, $"The query parameter '{name}' is '{text}'; it must be an ISO 8601 time with an offset (2026-03-01T00:00:00Z, 2026-03-01T01:00:00%2B01:00) or a date (2026-03-01, midnight UTC).");
            return null;
        }

        if (time < WireLimits.MinTime || time > WireLimits.MaxTime)
        {
            errors.Add(name, $"The query parameter '{name}' must lie between 1970-01-01 and 9000-01-01 (UTC).");
            return null;
        }

        return time;
    }

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');

    private static string? Text(string name, string? text, int maxLength, ValidationErrors errors)
    {
        if (text is null)
        {
            return null;
        }

        string? problem = string.IsNullOrWhiteSpace(text) ? "must not be blank (leave it out to match every record)"
            : text.Length > maxLength ? $"is longer than {maxLength} characters"
            : null;
        return problem is null ? text : Invalid<string?>(name, $"The query parameter '{name}' {problem}.", errors, null);
    }

    private static long? Number(string name, string? text, long min, long max, ValidationErrors errors)
    {
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max
            ? value
            : Invalid<long?>(name, $"The query parameter '{name}' is '{text}'; it must be a whole number from {min} to {max}.", errors, null);
    }

    // Each value an outcome or a mark (BudgetSpendNames.TryApplyOutcomeFilter), repeated or separated by commas: one
    // outcome at most, and any marks, all of which a record must have.
    private static BudgetSpendQuery Outcomes(BudgetSpendQuery query, string[]? values, ValidationErrors errors)
    {
        foreach (string name in (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)))
        {
            BudgetSpendOutcome? before = query.Outcome;
            if (!BudgetSpendNames.TryApplyOutcomeFilter(query, name, out BudgetSpendQuery filtered))
            {
                errors.Add(SpendQueryNames.Outcome, $"The query parameter 'outcome' names '{name}', which is no outcome (charged, estimated, refused, released, reset, adjusted) or mark (reduced, downgraded, would_refuse).");
            }
            else if (before is { } earlier && filtered.Outcome != earlier)
            {
                errors.Add(SpendQueryNames.Outcome, $"The query parameter 'outcome' names two outcomes, '{BudgetSpendNames.ToName(earlier)}' and '{name}'; a record has one.");
            }
            else
            {
                query = filtered;
            }
        }

        return query;
    }

    // Without ?format=, an Accept header whose preferred type of the two is text/csv asks for CSV.
    private static bool PrefersCsv(HttpRequest request)
    {
        IList<MediaTypeHeaderValue> accept = request.GetTypedHeaders().Accept;
        MediaTypeHeaderValue? best = accept
            .Where(m => m.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase) || m.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(m => m.Quality ?? 1.0)
            .FirstOrDefault(m => (m.Quality ?? 1.0) > 0);
        return best is not null && best.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase);
    }
}
