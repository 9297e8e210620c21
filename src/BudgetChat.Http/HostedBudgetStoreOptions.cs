namespace BudgetChat.Http;

/// <summary>Options of a <see cref="HostedBudgetStore"/>.</summary>
public sealed class HostedBudgetStoreOptions
{
    /// <summary>The environment variable <see cref="HostedBudgetStore.Create(Uri)"/> reads the API key from.</summary>
    public const string ApiKeyEnvironmentVariable = "BUDGETCHAT_API_KEY";

    /// <summary>Gets or sets the budget service's address, for example <c>http://127.0.0.1:5380/</c>. Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Gets or sets the API key sent as <c>Authorization: Bearer</c>, or <see langword="null"/> for a server without
    /// authentication. A key belongs to one project. It is never logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets how long one attempt of a request may take. Defaults to 5 seconds.</summary>
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
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// Gets or sets how long a budget's definition read by <see cref="HostedBudgetStore.GetOrCreateBudgetAsync"/> may
    /// be served from <c>HybridCache</c> (when one is registered) instead of asking the server. Reservations, settlements,
    /// spend and lists are never cached. <see cref="TimeSpan.Zero"/>, the default, turns caching off.
    /// </summary>
    public TimeSpan DefinitionCacheDuration { get; set; }

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The budget service's address must be an absolute http or https URI, for example http://127.0.0.1:5380/.", nameof(BaseAddress));
        }

        if (ApiKey is not null && (string.IsNullOrWhiteSpace(ApiKey) || ApiKey.Any(char.IsControl)))
        {
            throw new ArgumentException("The API key must be null or a non-empty key without control characters.", nameof(ApiKey));
        }

        if (AttemptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "The attempt timeout must be positive.");
        }

        if (TotalTimeout < AttemptTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(TotalTimeout), TotalTimeout, "The total timeout must be at least the attempt timeout.");
        }

        if (MaxRetries is < 0 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "Retries must be between 0 and 10.");
        }

        if (DefinitionCacheDuration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DefinitionCacheDuration), DefinitionCacheDuration, "The cache duration cannot be negative.");
        }
    }

    internal HostedBudgetStoreOptions Clone() => (HostedBudgetStoreOptions)MemberwiseClone();
}
