using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat.Http;

/// <summary>Posts budget alerts to a webhook (a receiver of your own, or Slack), signed, with retries.</summary>
/// <remarks>
/// <para>
/// <see cref="OnBudgetAlertAsync"/> only queues the alert and returns at once; it never waits on the network, so a slow
/// or failing receiver never delays a budgeted call. A background loop sends the queued alerts one at a time, in
/// order. A connection error, a timeout, 408, 429 and 5xx are retried with exponential backoff and jitter (honouring
/// <c>Retry-After</c>), up to <see cref="WebhookBudgetAlertSinkOptions.MaxAttempts"/>; any other status is logged once
/// and not retried. Every attempt of an alert carries the same id (the body's <c>id</c> and the
/// <c>X-BudgetChat-Alert-Id</c> header), so a receiver can drop duplicates.
/// </para>
/// <para>
/// When the queue is full the oldest alert is dropped and logged. Disposing sends what is queued for up to
/// <see cref="WebhookBudgetAlertSinkOptions.DrainTimeout"/>, then stops and logs how many alerts were not sent.
/// This type is thread-safe.
/// </para>
/// </remarks>
public sealed partial class WebhookBudgetAlertSink : IBudgetAlertSink, IAsyncDisposable, IDisposable
{
    /// <summary>The header with the request's signature, <c>sha256=&lt;hex&gt;</c>, when a secret is set.</summary>
    public const string SignatureHeader = "X-BudgetChat-Signature";

    /// <summary>The header with the time the request was signed, in Unix seconds, when a secret is set.</summary>
    public const string TimestampHeader = "X-BudgetChat-Timestamp";

    /// <summary>The header with the alert's id, the same on every attempt.</summary>
    public const string AlertIdHeader = "X-BudgetChat-Alert-Id";

    private readonly HttpClient _httpClient;
    private readonly WebhookBudgetAlertSinkOptions _options;
    private readonly byte[]? _secret;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Channel<Delivery> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sending;
    private int _unsent;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="WebhookBudgetAlertSink"/> class and starts sending.</summary>
    /// <param name="httpClient">
    /// The client to send with; its own timeout should be infinite (each attempt has <see cref="WebhookBudgetAlertSinkOptions.Timeout"/>).
    /// The sink does not dispose it.
    /// </param>
    /// <param name="options">The options; they are validated and copied.</param>
    /// <param name="timeProvider">The clock of the timeouts, retry delays and signatures, or <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">The logger factory, or <see langword="null"/> for no logs.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public WebhookBudgetAlertSink(HttpClient httpClient, WebhookBudgetAlertSinkOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        _httpClient = httpClient;
        _options = options.Clone();
        _secret = _options.Secret is null ? null : Encoding.UTF8.GetBytes(_options.Secret);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)loggerFactory?.CreateLogger<WebhookBudgetAlertSink>() ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<Delivery>(
            new BoundedChannelOptions(_options.MaxQueuedAlerts) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => LogDropped(_logger, dropped.Id, dropped.Alert.Key, dropped.Alert.Project, _options.MaxQueuedAlerts));
        _sending = Task.Run(SendQueuedAsync);
    }

    /// <summary>Queues the alert to be sent and returns at once.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">Not used: queuing does not wait.</param>
    /// <returns>A completed task.</returns>
    public ValueTask OnBudgetAlertAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var delivery = new Delivery(Guid.CreateVersion7(_timeProvider.GetUtcNow()).ToString(), alert);
        if (!_queue.Writer.TryWrite(delivery))
        {
            LogNotQueued(_logger, delivery.Id, alert.Key, alert.Project);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Sends what is queued for up to <see cref="WebhookBudgetAlertSinkOptions.DrainTimeout"/>, then stops.</summary>
    /// <returns>A task that completes when the sink has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _sending.WaitAsync(_options.DrainTimeout, _timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // What is still queued or in flight is counted below.
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        int unsent = _unsent + _queue.Reader.Count;
        if (unsent > 0)
        {
            LogUnsent(_logger, unsent);
        }

        _stopping.Dispose();
    }

    /// <summary>Does what <see cref="DisposeAsync"/> does, blocking the thread; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Signs a request body as the sink does; a receiver computes the same and compares in constant time.</summary>
    internal static string Sign(byte[] secret, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Encoding.UTF8.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return "sha256=" + Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    // Never throws: a failure of one alert is logged and the loop goes on; it ends when the queue is completed and
    // empty, or when disposal stops it.
    private async Task SendQueuedAsync()
    {
        CancellationToken stopping = _stopping.Token;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out Delivery? delivery))
                {
                    try
                    {
                        await SendAsync(delivery, stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                    {
                        _unsent++;
                        return;
                    }
#pragma warning disable CA1031 // One alert's unexpected failure must not stop the alerts behind it.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        LogFailed(_logger, delivery.Id, delivery.Alert.Key, delivery.Alert.Project, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped while waiting; the queue's remainder is counted by DisposeAsync.
        }
    }

    private async Task SendAsync(Delivery delivery, CancellationToken stopping)
    {
        BudgetAlert alert = delivery.Alert;
        byte[] body = WebhookAlertBody.Create(_options.Format, delivery.Id, alert);
        for (int attempt = 1; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            using (var timeout = new CancellationTokenSource(_options.Timeout, _timeProvider))
            using (var attemptToken = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping))
            {
                try
                {
                    using HttpRequestMessage request = CreateRequest(delivery.Id, body);
                    using HttpResponseMessage response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptToken.Token).ConfigureAwait(false);
                    int status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        LogSent(_logger, delivery.Id, alert.Key, alert.Project, attempt);
                        return;
                    }

                    if (status is not ((int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500))
                    {
                        LogRejected(_logger, delivery.Id, alert.Key, alert.Project, status);
                        return;
                    }

                    failure = string.Create(CultureInfo.InvariantCulture, $"HTTP {status}");
                    retryAfter = RetryAfter(response.Headers.RetryAfter);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
                {
                    failure = "timed out";
                }
                catch (HttpRequestException ex)
                {
                    failure = ex.HttpRequestError.ToString();
                }
            }

            if (attempt >= _options.MaxAttempts)
            {
                LogGaveUp(_logger, delivery.Id, alert.Key, alert.Project, attempt, failure);
                return;
            }

            TimeSpan delay = retryAfter is { } wait ? TimeSpan.FromTicks(Math.Min(wait.Ticks, _options.MaxRetryDelay.Ticks)) : Backoff(attempt);
            LogRetrying(_logger, delivery.Id, alert.Key, alert.Project, attempt, failure, delay);
            await Task.Delay(delay, _timeProvider, stopping).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage CreateRequest(string id, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _options.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        RequestHeaderRules.Apply(request.Headers, _options.Headers);
        request.Headers.Add(AlertIdHeader, id);
        if (_secret is not null)
        {
            // Signed per attempt: the timestamp is when it was sent, so a receiver can refuse old replays.
            string timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            request.Headers.Add(TimestampHeader, timestamp);
            request.Headers.Add(SignatureHeader, Sign(_secret, timestamp, body));
        }

        return request;
    }

    // Doubles from FirstRetryDelay, ±20% so that many senders do not retry in step, never over MaxRetryDelay.
    private TimeSpan Backoff(int attempt)
    {
#pragma warning disable CA5394 // Jitter, not security.
        double jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
#pragma warning restore CA5394
        double ticks = _options.FirstRetryDelay.Ticks * Math.Pow(2, attempt - 1) * jitter;
        return TimeSpan.FromTicks((long)Math.Min(ticks, _options.MaxRetryDelay.Ticks));
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _timeProvider.GetUtcNow() is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
        _ => null,
    };

    [LoggerMessage(20, LogLevel.Debug, "Sent budget alert {AlertId} for '{Key}' of project '{Project}' (attempt {Attempt}).")]
    private static partial void LogSent(ILogger logger, string alertId, string key, string project, int attempt);

    [LoggerMessage(21, LogLevel.Warning, "Budget alert {AlertId} for '{Key}' of project '{Project}' failed ({Failure}) on attempt {Attempt}; retrying in {Delay}.")]
    private static partial void LogRetrying(ILogger logger, string alertId, string key, string project, int attempt, string failure, TimeSpan delay);

    [LoggerMessage(22, LogLevel.Error, "The webhook refused budget alert {AlertId} for '{Key}' of project '{Project}' with HTTP {Status}; not retrying.")]
    private static partial void LogRejected(ILogger logger, string alertId, string key, string project, int status);

    [LoggerMessage(23, LogLevel.Error, "Gave up on budget alert {AlertId} for '{Key}' of project '{Project}' after {Attempts} attempts; the last failed ({Failure}).")]
    private static partial void LogGaveUp(ILogger logger, string alertId, string key, string project, int attempts, string failure);

    [LoggerMessage(24, LogLevel.Warning, "Dropped budget alert {AlertId} for '{Key}' of project '{Project}': {MaxQueuedAlerts} newer alerts are waiting to be sent.")]
    private static partial void LogDropped(ILogger logger, string alertId, string key, string project, int maxQueuedAlerts);

    [LoggerMessage(25, LogLevel.Warning, "Budget alert {AlertId} for '{Key}' of project '{Project}' was not sent: the webhook sink is disposed.")]
    private static partial void LogNotQueued(ILogger logger, string alertId, string key, string project);

    [LoggerMessage(26, LogLevel.Warning, "The webhook sink stopped with {Count} budget alerts not sent.")]
    private static partial void LogUnsent(ILogger logger, int count);

    [LoggerMessage(27, LogLevel.Error, "Budget alert {AlertId} for '{Key}' of project '{Project}' could not be sent.")]
    private static partial void LogFailed(ILogger logger, string alertId, string key, string project, Exception exception);

    private sealed record Delivery(string Id, BudgetAlert Alert);
}
