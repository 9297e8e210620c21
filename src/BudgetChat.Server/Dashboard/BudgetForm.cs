using System.Globalization;
using System.Text.Encodings.Web;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Html;

namespace BudgetChat.Server.Dashboard;

/// <summary>
/// Reads the fields of the budget forms (limit, period, alignment) as the wire contract reads them: invariant numbers,
/// the period and alignment names of configuration; each error names its field.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class BudgetForm
{
    /// <summary>The periods the forms offer, in the order they list them.</summary>
    public static readonly BudgetPeriod[] Periods =
        [BudgetPeriod.Daily, BudgetPeriod.Weekly, BudgetPeriod.Monthly, BudgetPeriod.Yearly, BudgetPeriod.Hourly, BudgetPeriod.Minutely, BudgetPeriod.None];

    /// <summary>Reads a main limit from the form's fields, or adds what is wrong to <paramref name="errors"/>.</summary>
    public static BudgetLimit? ReadMainLimit(string? limit, string? period, string? alignment, IDictionary<string, string> errors, string? name = null)
    {
        decimal amount = 0m;
        string text = limit?.Trim().TrimStart('$') ?? string.Empty;
        if (text.Length == 0)
        {
            errors["limit"] = "Enter the limit in US dollars, for example 25 or 12.50.";
        }
        else if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out amount) || amount > BudgetAmounts.Max)
        {
            errors["limit"] = $"'{limit}' is not an amount of US dollars from 0 to {BudgetAmounts.Max.ToString("#,0", CultureInfo.InvariantCulture)} (write 12.50).";
        }

        if (!BudgetPeriodNames.TryParse(period ?? string.Empty, out BudgetPeriod readPeriod))
        {
            errors["period"] = $"'{period}' is not a period: use none, minutely, hourly, daily, weekly, monthly or yearly.";
        }

        BudgetWindowAlignment readAlignment = BudgetWindowAlignment.Calendar;
        if (string.Equals(alignment, "rolling", StringComparison.Ordinal))
        {
            readAlignment = BudgetWindowAlignment.Rolling;
        }
        else if (!string.IsNullOrEmpty(alignment) && !string.Equals(alignment, "calendar", StringComparison.Ordinal))
        {
            errors["alignment"] = $"'{alignment}' is not an alignment: use calendar or rolling.";
        }

        return errors.Count == 0 ? new BudgetLimit(amount, readPeriod, readAlignment, name: name) : null;
    }

    /// <summary>A definition with its main limit replaced, keeping its other limits, thresholds and enforcement.</summary>
    public static BudgetDefinition WithMainLimit(BudgetDefinition definition, BudgetLimit main) =>
        new([main, .. definition.Limits.Skip(1)], definition.AlertThresholds, definition.Enforcement);

    /// <summary>The name the main limit keeps when changed: its own when it was given one, else none (named after its new period).</summary>
    public static string? KeptName(BudgetLimit main) =>
        string.Equals(main.Name, new BudgetLimit(main.Amount, main.Period, main.Alignment).Name, StringComparison.Ordinal) ? null : main.Name;

    /// <summary>A field's error beside it, if it has one (its id is the field's name and <c>-error</c>).</summary>
    public static IHtmlContent Error(IReadOnlyDictionary<string, string> errors, string field) =>
        errors.TryGetValue(field, out string? error)
            ? new HtmlString($"<span class=\"error\" role=\"alert\" id=\"{HtmlEncoder.Default.Encode(field)}-error\">{HtmlEncoder.Default.Encode(error)}</span>")
            : HtmlString.Empty;
}
