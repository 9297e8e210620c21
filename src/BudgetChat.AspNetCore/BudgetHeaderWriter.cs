using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.AspNetCore;

/// <summary>Writes <see cref="BudgetHeaderNames"/> and <c>Retry-After</c>.</summary>
internal static class BudgetHeaderWriter
{
    // Up to 28 decimals: exact for any decimal amount, and no trailing zeros.
    private const string MoneyFormat = "0.############################";

    // HttpContext.Items key of a response that is a budget refusal, whose headers describe the refusing limit.
    private static readonly object RefusalKey = new();

    /// <summary>Writes <see cref="BudgetHeaderNames.Limit"/>, <see cref="BudgetHeaderNames.Remaining"/> and <see cref="BudgetHeaderNames.Reset"/> of a dollar limit.</summary>
    public static void WriteBudget(IHeaderDictionary headers, decimal limit, decimal remaining, DateTimeOffset? resetsAt)
    {
        headers[BudgetHeaderNames.Limit] = FormatMoney(limit);
        headers[BudgetHeaderNames.Remaining] = FormatMoney(Math.Max(0m, remaining));
        WriteTime(headers, BudgetHeaderNames.Reset, resetsAt);
    }

    /// <summary>Writes a time header, or nothing for <see langword="null"/>.</summary>
    public static void WriteTime(IHeaderDictionary headers, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            headers[name] = FormatTime(value);
        }
    }

    public static void WriteRetryAfter(IHeaderDictionary headers, DateTimeOffset resetsAt, DateTimeOffset now)
    {
        // Whole seconds, rounded up so a client that waits exactly this long finds the new window open.
        double seconds = Math.Ceiling((resetsAt - now).TotalSeconds);
        headers[HeaderNames.RetryAfter] = ((long)Math.Max(0d, seconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Marks the response as a budget refusal, so that <c>WithBudgetHeaders()</c> leaves its headers to the refusal.</summary>
    public static void MarkRefusal(HttpContext context) => context.Items[RefusalKey] = RefusalKey;

    /// <summary>Tells whether the response is a budget refusal (<see cref="MarkRefusal"/>).</summary>
    public static bool IsRefusal(HttpContext context) => context.Items.ContainsKey(RefusalKey);

    /// <summary>The same amount without trailing zeros in its scale, so JSON shows <c>0.0002</c> and not <c>0.000200000</c>.</summary>
    public static decimal Normalize(decimal amount) => amount / 1.0000000000000000000000000000m;

    public static string FormatMoney(decimal amount) => amount.ToString(MoneyFormat, CultureInfo.InvariantCulture);

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
