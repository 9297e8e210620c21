using System.Text;
using Microsoft.AspNetCore.Http;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Writes the <c>RateLimit-Policy</c> and <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers-12 for the
/// limits of a budget that count requests.
/// </summary>
/// <remarks>
/// <para>
/// The syntax is that of draft-ietf-httpapi-ratelimit-headers-12 (20 November 2026), sections 2 and 3. <c>RateLimit-Policy</c>
/// is a List of quota policies: a String naming the policy, with <c>q</c> (the quota, an Integer), <c>qu</c> (the quota
/// unit; requests when absent) and <c>w</c> (the window, in seconds). <c>RateLimit</c> is a List of service limits: the
/// policy's String with <c>a</c> (the available quota) and <c>w</c> (the seconds within which the client can use no more
/// than that). Draft 11 and earlier called <c>a</c> and <c>w</c> of <c>RateLimit</c> <c>r</c> and <c>t</c>.
/// </para>
/// <para>
/// Only request limits are written. The draft's quota units come from a registry (requests, content-bytes,
/// concurrent-requests; a new one needs a specification), so it cannot say dollars or tokens, and a policy without
/// <c>qu</c> would say that $5 is 5 requests. <c>qu</c> itself is left out, since requests is its default.
/// </para>
/// </remarks>
internal static class RateLimitFields
{
    /// <summary>
    /// Gets the windows the fields can describe: those of limits that count requests, whose name a String can carry
    /// (printable ASCII) and does not repeat an earlier one ignoring case (the draft compares policy names that way).
    /// </summary>
    public static List<BudgetWindowState> Policies(IReadOnlyList<BudgetWindowState> windows)
    {
        var policies = new List<BudgetWindowState>();
        foreach (BudgetWindowState window in windows)
        {
            if (window.Unit == BudgetUnit.Requests
                && StructuredFieldWriter.IsPrintableAscii(window.Name)
                && !policies.Exists(p => string.Equals(p.Name, window.Name, StringComparison.OrdinalIgnoreCase)))
            {
                policies.Add(window);
            }
        }

        return policies;
    }

    /// <summary>
    /// Gets the window closest to its limit: the smallest share of its limit left. Of windows with the same share, the one
    /// that ends last (a window without end last of all), since the client waits longest for it; then the first defined.
    /// </summary>
    public static BudgetWindowState? Closest(IReadOnlyList<BudgetWindowState> policies)
    {
        BudgetWindowState? closest = null;
        foreach (BudgetWindowState window in policies)
        {
            if (closest is null || IsCloser(window, closest))
            {
                closest = window;
            }
        }

        return closest;
    }

    /// <summary>Appends the policies to <c>RateLimit-Policy</c>, after any an app wrote; nothing when there are none.</summary>
    public static void WritePolicies(IHeaderDictionary headers, IReadOnlyList<BudgetWindowState> policies)
    {
        if (policies.Count == 0)
        {
            return;
        }

        var value = new StringBuilder();
        foreach (BudgetWindowState window in policies)
        {
            if (value.Length > 0)
            {
                value.Append(", ");
            }

            value.AppendString(window.Name).AppendParameter("q").AppendInteger(window.Limit.Amount);
            if (window.End is { } end)
            {
                value.AppendParameter("w").AppendInteger(WholeSeconds(end - window.Start));
            }
        }

        headers.Append(BudgetHeaderNames.RateLimitPolicy, value.ToString());
    }

    /// <summary>Appends the window's service limit to <c>RateLimit</c>, after any an app wrote.</summary>
    public static void WriteServiceLimit(IHeaderDictionary headers, BudgetWindowState window, DateTimeOffset now)
    {
        var value = new StringBuilder().AppendString(window.Name).AppendParameter("a").AppendInteger(window.Remaining);
        if (window.End is { } end)
        {
            value.AppendParameter("w").AppendInteger(WholeSeconds(end - now));
        }

        headers.Append(BudgetHeaderNames.RateLimit, value.ToString());
    }

    // Rounded up, as Retry-After is: a client that waits this long finds the new window open.
    private static decimal WholeSeconds(TimeSpan span) => (decimal)Math.Ceiling(Math.Max(0d, span.TotalSeconds));

    private static bool IsCloser(BudgetWindowState window, BudgetWindowState than)
    {
        int share = Share(window).CompareTo(Share(than));
        if (share != 0)
        {
            return share < 0;
        }

        return (window.End ?? DateTimeOffset.MaxValue) > (than.End ?? DateTimeOffset.MaxValue);
    }

    private static decimal Share(BudgetWindowState window) => window.Limit.Amount == 0m ? 0m : window.Remaining / window.Limit.Amount;
}
