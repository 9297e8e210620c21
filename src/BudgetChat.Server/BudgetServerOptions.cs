using System.ComponentModel.DataAnnotations;
using BudgetChat.Http;
using BudgetChat.Server.Hosting;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server;

/// <summary>Options of the budget service, bound from the configuration section <see cref="SectionName"/>.</summary>
/// <remarks>
/// Validated when the service starts, by the data annotations on the properties (and on each
/// <see cref="BudgetServerApiKey"/>) and, for what they cannot express (the time zone, the characters of keys and
/// projects, one key per project), <see cref="IValidatableObject.Validate"/>; no message ever contains a key.
/// Instances are not thread-safe while being configured.
/// </remarks>
public sealed class BudgetServerOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "BudgetServer";

    /// <summary>The longest project name the service accepts.</summary>
    public const int MaxProjectLength = 128;

    /// <summary>The shortest API key the service accepts.</summary>
    public const int MinimumApiKeyLength = 16;

    /// <summary>
    /// Gets the API keys, each bound to one project. When there are none the service runs open: every caller may use
    /// every project, which it allows only while every address it listens on is a loopback address.
    /// </summary>
    [ValidateEnumeratedItems]
    public IList<BudgetServerApiKey> ApiKeys { get; } = [];

    /// <summary>
    /// Gets or sets the directory the durable store keeps its data in; a relative path is relative to the content
    /// root. Defaults to <c>data</c>.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Gets or sets the largest request body accepted, in bytes; a larger one is answered with 413. Defaults to 64 KiB.</summary>
    [Range(typeof(long), "1024", "67108864")]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Gets or sets the largest request body accepted by LiteLLM's routes, <c>/get_budget</c> and <c>/set_budget</c>, in
    /// bytes; a larger one is answered with 413. LiteLLM's hosted client saves its whole <c>user_dict</c> in one
    /// <c>/set_budget</c> and never reads the answer, so a refusal loses the save silently. Defaults to 64 MiB, about
    /// 200,000 users as LiteLLM writes them (some 300 bytes each). The caller's key is checked before the body is read
    /// past <see cref="MaxRequestBodyBytes"/>.
    /// </summary>
    [Range(typeof(long), "1024", "1073741824")]
    public long MaxLiteLlmBodyBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Gets or sets the id of the time zone whose calendar aligns daily, weekly, monthly and yearly windows
    /// (an IANA or Windows id such as <c>Europe/Paris</c>). Defaults to <c>UTC</c>.
    /// </summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>
    /// Gets or sets how long the store remembers a settled, released or reclaimed reservation id, so that a retry within
    /// that time changes nothing. Defaults to 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", MinimumIsExclusive = true)]
    public TimeSpan CompletedIdRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets the longest a reservation may hold from now: a reserve or renew whose <c>expiresAt</c> is further
    /// ahead (or already past) is answered 400 naming <c>expiresAt</c>. Clients renew long calls, so this bounds what a
    /// client with a wrong clock, or one that died, can keep from others. Defaults to 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxReservationDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets the connection cap and the per-caller request rate limit (<c>BudgetServer:Limits</c>).</summary>
    [ValidateObjectMembers]
    public BudgetServerLimits Limits { get; } = new();

    /// <summary>Gets the settings of the web dashboard at <c>/dashboard</c> (<c>BudgetServer:Dashboard</c>); on by default.</summary>
    [ValidateObjectMembers]
    public BudgetServerDashboard Dashboard { get; } = new();

    /// <summary>Gets the web origins allowed to call the service (<c>BudgetServer:Cors</c>); none by default, CORS off.</summary>
    [ValidateObjectMembers]
    public BudgetServerCors Cors { get; } = new();

    /// <summary>
    /// Gets the alert webhooks per project (<c>BudgetServer:Webhooks:{project}</c>, with <c>Url</c>, <c>Format</c>
    /// (<c>Json</c> or <c>Slack</c>), <c>Secret</c>, <c>MaxAttempts</c>, <c>Headers</c>, ...): the alert thresholds a charge
    /// through the service crosses are posted there, signed and retried in the background, never delaying the call. The
    /// project <c>*</c> receives the alerts of every project. None by default.
    /// </summary>
    public IDictionary<string, WebhookBudgetAlertSinkOptions> Webhooks { get; } = new Dictionary<string, WebhookBudgetAlertSinkOptions>(StringComparer.Ordinal);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!BudgetServerOptionsValidator.TryFindTimeZone(TimeZone, out _))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(TimeZone)} '{TimeZone}' is not a time zone known to this machine.", [nameof(TimeZone)]);
        }

        foreach ((string project, WebhookBudgetAlertSinkOptions webhook) in Webhooks)
        {
            string? problem = null;
            try
            {
                webhook.Validate();
            }
            catch (ArgumentException ex)
            {
                problem = $"{SectionName}:{nameof(Webhooks)}:{project}:{ex.ParamName}: {ex.Message}";
            }

            if (problem is not null)
            {
                yield return new ValidationResult(problem, [nameof(Webhooks)]);
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ApiKeys.Count; i++)
        {
            if (ApiKeys[i] is not { } entry)
            {
                continue;
            }

            // Blank, missing and too short are the annotations' (on BudgetServerApiKey); never echo the key.
            string at = $"{SectionName}:{nameof(ApiKeys)}:{i}";
            if (entry.Project?.Any(char.IsControl) == true)
            {
                yield return new ValidationResult($"{at}:{nameof(BudgetServerApiKey.Project)}: the project name contains control characters.", [nameof(ApiKeys)]);
            }

            if (entry.Key?.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) == true)
            {
                yield return new ValidationResult($"{at}:{nameof(BudgetServerApiKey.Key)} contains white space or control characters.", [nameof(ApiKeys)]);
            }
            else if (!string.IsNullOrEmpty(entry.Key) && !seen.Add(entry.Key))
            {
                yield return new ValidationResult($"{at}:{nameof(BudgetServerApiKey.Key)} is the same as an earlier key; give every project its own key.", [nameof(ApiKeys)]);
            }
        }
    }
}
