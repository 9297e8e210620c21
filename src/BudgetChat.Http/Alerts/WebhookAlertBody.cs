using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetChat.Http;

/// <summary>Makes the bytes a <see cref="WebhookBudgetAlertSink"/> posts for an alert.</summary>
internal static class WebhookAlertBody
{
    public const string EventType = "budget.alert";

    public static byte[] Create(WebhookBudgetAlertFormat format, string id, BudgetAlert alert) => format == WebhookBudgetAlertFormat.Slack
        ? JsonSerializer.SerializeToUtf8Bytes(new SlackMessage(SlackText(alert)), WebhookJsonContext.Default.SlackMessage)
        : JsonSerializer.SerializeToUtf8Bytes(
            new AlertEvent(
                id,
                EventType,
                alert.Project,
                alert.Key,
                alert.Window,
                alert.Threshold,
                alert.Spent,
                alert.Limit,
                alert.WindowStart.UtcDateTime,
                alert.WindowEnd?.UtcDateTime,
                alert.RunsOutAt?.UtcDateTime),
            WebhookJsonContext.Default.AlertEvent);

    /// <summary>One sentence a person reads in a channel: which budget, how far, when it resets, when it runs out.</summary>
    internal static string SlackText(BudgetAlert alert)
    {
        CultureInfo invariant = CultureInfo.InvariantCulture;
        decimal percent = alert.Limit > 0 ? alert.Spent / alert.Limit * 100m : alert.Threshold * 100m;
        var text = new StringBuilder();
        text.Append(invariant, $"Budget '{Escape(alert.Key)}' of project '{Escape(alert.Project)}' has reached {percent:0.#}% of its ");
        text.Append(alert.Window is null ? "limit" : $"{Escape(alert.Window)} limit");
        text.Append(invariant, $": ${alert.Spent:0.00##} of ${alert.Limit:0.00##} spent.");
        if (alert.WindowEnd is { } end)
        {
            text.Append(invariant, $" It resets at {end.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
            text.Append(alert.RunsOutAt is { } runsOut
                ? string.Create(invariant, $" At this rate it runs out at {runsOut.UtcDateTime:yyyy-MM-dd HH:mm} UTC.")
                : " At this rate it lasts until then.");
        }
        else
        {
            text.Append(" It does not reset.");
        }

        return text.ToString();
    }

    // Slack reads &, < and > as markup (links, mentions).
    private static string Escape(string value) => value.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>The JSON body: every field of <see cref="BudgetAlert"/>, times in UTC (serialized with a <c>Z</c>).</summary>
internal sealed record AlertEvent(
    string Id,
    string Type,
    string Project,
    string Key,
    string? Window,
    decimal Threshold,
    decimal Spent,
    decimal Limit,
    DateTime WindowStart,
    DateTime? WindowEnd,
    DateTime? RunsOutAt);

/// <summary>A Slack incoming-webhook message.</summary>
internal sealed record SlackMessage(string Text);

/// <summary>The serializer context of the webhook bodies: camelCase, nulls written.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AlertEvent))]
[JsonSerializable(typeof(SlackMessage))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
