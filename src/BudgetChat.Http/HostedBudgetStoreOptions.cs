using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Http;

/// <summary>Options of a <see cref="HostedBudgetStore"/>.</summary>
/// <remarks>
/// The rules are the data annotations on the properties and, for those they cannot express (the address's scheme,
/// the key's characters, one timeout against the other), <see cref="IValidatableObject.Validate"/>; a source-generated
/// validator checks them in a container, and <see cref="Validate()"/> runs it. Not thread-safe while being configured.
/// </remarks>
public sealed class HostedBudgetStoreOptions : IValidatableObject
{
    /// <summary>The environment variable <see cref="HostedBudgetStore.Create(Uri)"/> and <c>BudgetManager</c> read the API key from when none is given.</summary>
    public const string ApiKeyEnvironmentVariable = "BUDGETCHAT_API_KEY";

    /// <summary>Gets or sets the budget service's address, for example <c>http://127.0.0.1:5380/</c>. Required.</summary>
    [Required]
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Gets or sets the API key sent as <c>Authorization: Bearer</c>, or <see langword="null"/> for a server without
    /// authentication. A key belongs to one project. It is never logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets the headers sent, as given, on every request (LiteLLM's <c>headers=</c>): a gateway's key or a tenant id, say.
    /// Names are case-insensitive. An <c>Authorization</c> header takes the place of <see cref="ApiKey"/>, which must then
    /// be <see langword="null"/>; a <c>Content-Type</c> of <c>application/json</c> is allowed and left to the body, other
    /// headers of the body are refused. Values are never logged or put in exception messages.
    /// </summary>
    public IDictionary<string, string> Headers { get; private set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets how long one attempt of a request may take. Defaults to 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", MinimumIsExclusive = true)]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long a request may take with its retries before the store reports the service unreachable
    /// (<see cref="BudgetStoreUnavailableException"/>). Defaults to 15 seconds.
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how many times a failed request is retried (a connection error, a timeout, 408, 429 or 5xx).
    /// Retrying is safe: reserve, settle, release and charge are idempotent by their id. Defaults to 2.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Gets or sets how long the first retry waits; later ones wait longer (exponential, with jitter). Defaults to 100 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Gets or sets how long the circuit stays open once it breaks (requests fail at once, as
    /// <see cref="BudgetStoreUnavailableException"/>, without reaching the service); the first request after it is a
    /// probe. Short, so that a service that is back is used again soon. Defaults to 2 seconds (the standard pipeline's 5
    /// kept clients failing for seconds after the service had returned).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "01:00:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the share of failed requests, within the sampling window, that breaks the circuit. Defaults to 0.5.</summary>
    [Range(0.01, 1.0)]
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Gets or sets how many requests the sampling window must hold before the circuit may break. Defaults to 20.</summary>
    [Range(2, 100_000)]
    public int CircuitMinimumThroughput { get; set; } = 20;

    /// <summary>
    /// Gets or sets how long a budget's definition read by <see cref="HostedBudgetStore.GetOrCreateBudgetAsync"/> may
    /// be served from <c>HybridCache</c> (when one is registered) instead of asking the server. Reservations, settlements,
    /// spend and lists are never cached. <see cref="TimeSpan.Zero"/>, the default, turns caching off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807")]
    public TimeSpan DefinitionCacheDuration { get; set; }

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate() => OptionsValidation.ThrowIfFailed(new HostedBudgetStoreOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (BaseAddress is not null && (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult(
                $"{nameof(HostedBudgetStoreOptions)}.{nameof(BaseAddress)} must be an absolute http or https URI, for example http://127.0.0.1:5380/.", [nameof(BaseAddress)]);
        }

        // Never the key itself: only what is wrong with it.
        if (ApiKey is not null && (string.IsNullOrWhiteSpace(ApiKey) || ApiKey.Any(char.IsControl)))
        {
            yield return new ValidationResult(
                $"{nameof(HostedBudgetStoreOptions)}.{nameof(ApiKey)} must be null or a non-empty key without control characters.", [nameof(ApiKey)]);
        }

        foreach (string problem in RequestHeaderRules.Problems(Headers, $"{nameof(HostedBudgetStoreOptions)}.{nameof(Headers)}", ApiKey is null ? null : $"{nameof(HostedBudgetStoreOptions)}.{nameof(ApiKey)}"))
        {
            yield return new ValidationResult(problem, [nameof(Headers)]);
        }

        if (TotalTimeout < AttemptTimeout)
        {
            yield return new ValidationResult(
                $"{nameof(HostedBudgetStoreOptions)}.{nameof(TotalTimeout)} ({TotalTimeout}) must be at least {nameof(AttemptTimeout)} ({AttemptTimeout}).", [nameof(TotalTimeout)]);
        }
    }

    internal HostedBudgetStoreOptions Clone()
    {
        var copy = (HostedBudgetStoreOptions)MemberwiseClone();
        copy.Headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase);
        return copy;
    }

    internal void CopyTo(HostedBudgetStoreOptions target)
    {
        HostedBudgetStoreOptions copy = Clone();
        target.BaseAddress = copy.BaseAddress;
        target.ApiKey = copy.ApiKey;
        target.Headers = copy.Headers;
        target.AttemptTimeout = copy.AttemptTimeout;
        target.TotalTimeout = copy.TotalTimeout;
        target.MaxRetries = copy.MaxRetries;
        target.RetryDelay = copy.RetryDelay;
        target.CircuitBreakDuration = copy.CircuitBreakDuration;
        target.CircuitFailureRatio = copy.CircuitFailureRatio;
        target.CircuitMinimumThroughput = copy.CircuitMinimumThroughput;
        target.DefinitionCacheDuration = copy.DefinitionCacheDuration;
    }
}
