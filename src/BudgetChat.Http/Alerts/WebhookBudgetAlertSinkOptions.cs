using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Http;

/// <summary>Options of a <see cref="WebhookBudgetAlertSink"/>.</summary>
/// <remarks>
/// The rules are the data annotations on the properties and, for those they cannot express (the address's scheme,
/// the headers, one delay against the other), <see cref="IValidatableObject.Validate"/>; a source-generated validator
/// checks them in a container, and <see cref="Validate()"/> runs it. Not thread-safe while being configured; the sink
/// keeps a copy.
/// </remarks>
public sealed class WebhookBudgetAlertSinkOptions : IValidatableObject
{
    /// <summary>Gets or sets the address alerts are posted to, an absolute http or https URI. Required.</summary>
    [Required]
    public Uri? Url { get; set; }

    /// <summary>Gets or sets the body's format. Defaults to <see cref="WebhookBudgetAlertFormat.Json"/>.</summary>
    public WebhookBudgetAlertFormat Format { get; set; } = WebhookBudgetAlertFormat.Json;

    /// <summary>
    /// Gets or sets the secret that signs each request, or <see langword="null"/> (the default) for unsigned requests.
    /// When set, each request carries <c>X-BudgetChat-Timestamp</c> (Unix seconds) and <c>X-BudgetChat-Signature:
    /// sha256=&lt;hex&gt;</c>, the lowercase hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, of the timestamp, a
    /// <c>.</c> and the exact body bytes. It is never logged.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Gets or sets how many times an alert is sent at most, the first attempt included. Defaults to 5.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// Gets or sets how long the first retry waits; each later one waits twice as long, with ±20% jitter, up to
    /// <see cref="MaxRetryDelay"/>. Defaults to 1 second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets the longest a retry waits, also for a receiver's <c>Retry-After</c>: alerts are sent one at a time,
    /// so a long wait holds back the alerts behind it. Defaults to 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how many alerts may wait to be sent; when the queue is full, the oldest waiting alert is dropped
    /// and logged. Defaults to 1000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxQueuedAlerts { get; set; } = 1000;

    /// <summary>Gets or sets how long one attempt may take before it counts as failed and is retried. Defaults to 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", MinimumIsExclusive = true)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how long disposing the sink goes on sending the alerts still queued before it stops; what is left
    /// then is logged. Defaults to 5 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets the headers sent, as given, on every request (an <c>Authorization</c> header of the receiver, say). Names are
    /// case-insensitive; headers of the body and the sink's own <c>X-BudgetChat-</c> headers are refused. Values are
    /// never logged or put in exception messages.
    /// </summary>
    public IDictionary<string, string> Headers { get; private set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate() => OptionsValidation.ThrowIfFailed(new WebhookBudgetAlertSinkOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        const string Name = nameof(WebhookBudgetAlertSinkOptions);
        if (Url is not null && (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"{Name}.{nameof(Url)} must be an absolute http or https URI, for example https://hooks.example.com/budget.", [nameof(Url)]);
        }

        if (!Enum.IsDefined(Format))
        {
            yield return new ValidationResult($"{Name}.{nameof(Format)} must be Json or Slack.", [nameof(Format)]);
        }

        // Never the secret itself: only what is wrong with it.
        if (Secret is not null && string.IsNullOrEmpty(Secret))
        {
            yield return new ValidationResult($"{Name}.{nameof(Secret)} must be null (unsigned) or a non-empty secret.", [nameof(Secret)]);
        }

        if (MaxRetryDelay < FirstRetryDelay)
        {
            yield return new ValidationResult($"{Name}.{nameof(MaxRetryDelay)} ({MaxRetryDelay}) must be at least {nameof(FirstRetryDelay)} ({FirstRetryDelay}).", [nameof(MaxRetryDelay)]);
        }

        foreach (string problem in RequestHeaderRules.Problems(Headers, $"{Name}.{nameof(Headers)}", apiKeySetting: null))
        {
            yield return new ValidationResult(problem, [nameof(Headers)]);
        }

        foreach (string name in Headers.Keys.Where(static n => n.StartsWith("X-BudgetChat-", StringComparison.OrdinalIgnoreCase)))
        {
            yield return new ValidationResult($"{Name}.{nameof(Headers)}['{name}'] is one of the headers the sink sets itself; remove it.", [nameof(Headers)]);
        }
    }

    internal WebhookBudgetAlertSinkOptions Clone()
    {
        var copy = (WebhookBudgetAlertSinkOptions)MemberwiseClone();
        copy.Headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase);
        return copy;
    }
}
