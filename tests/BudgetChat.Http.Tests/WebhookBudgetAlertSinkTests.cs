using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Http.Tests;

/// <summary>WebhookBudgetAlertSink against a real receiver on 127.0.0.1.</summary>
public sealed class WebhookBudgetAlertSinkTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 12, 0, 0, TimeSpan.Zero);

    private static readonly BudgetAlert Alert = new(
        "acme", "user:42", 0.8m, 8.123456m, 10.00m,
        new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 5, 0, 0, 0, TimeSpan.Zero), "daily")
    {
        RunsOutAt = new DateTimeOffset(2026, 3, 4, 18, 30, 0, TimeSpan.FromHours(2)),
    };

    private static WebhookBudgetAlertSinkOptions Options(WebhookReceiver receiver) => new()
    {
        Url = receiver.Url,
        FirstRetryDelay = TimeSpan.FromSeconds(1),
        MaxRetryDelay = TimeSpan.FromSeconds(2),

        // On a fake clock the tests move on while waiting; an attempt must not time out meanwhile.
        Timeout = TimeSpan.FromMinutes(10),
    };

    [Fact]
    public async Task Json_EveryFieldOfTheAlert_ArrivesWithTheHeaders()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.Headers["X-Tenant"] = "t1";
        await using var sink = new WebhookBudgetAlertSink(http, options);

        await sink.OnBudgetAlertAsync(Alert, CancellationToken.None);
        ReceivedWebhook request = await receiver.NextAsync();

        Assert.Equal("application/json; charset=utf-8", request.Headers["Content-Type"]);
        Assert.Equal("t1", request.Headers["X-Tenant"]);
        Assert.False(request.Headers.ContainsKey(WebhookBudgetAlertSink.SignatureHeader));
        using JsonDocument json = JsonDocument.Parse(request.Body);
        JsonElement root = json.RootElement;
        Assert.Equal(
            ["id", "type", "project", "key", "window", "threshold", "spent", "limit", "windowStart", "windowEnd", "runsOutAt"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(request.Id, root.GetProperty("id").GetString());
        Assert.True(Guid.TryParse(request.Id, out _));
        Assert.Equal("budget.alert", root.GetProperty("type").GetString());
        Assert.Equal("acme", root.GetProperty("project").GetString());
        Assert.Equal("user:42", root.GetProperty("key").GetString());
        Assert.Equal("daily", root.GetProperty("window").GetString());

        // Money exactly as the decimal holds it, not through a double.
        Assert.Equal("0.8", root.GetProperty("threshold").GetRawText());
        Assert.Equal("8.123456", root.GetProperty("spent").GetRawText());
        Assert.Equal("10.00", root.GetProperty("limit").GetRawText());
        Assert.Equal("2026-03-04T00:00:00Z", root.GetProperty("windowStart").GetString());
        Assert.Equal("2026-03-05T00:00:00Z", root.GetProperty("windowEnd").GetString());
        Assert.Equal("2026-03-04T16:30:00Z", root.GetProperty("runsOutAt").GetString());
    }

    [Fact]
    public async Task Json_ALimitWithoutPeriod_SendsNulls()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        await using var sink = new WebhookBudgetAlertSink(http, Options(receiver));

        await sink.OnBudgetAlertAsync(Alert with { WindowEnd = null, Window = null, RunsOutAt = null }, CancellationToken.None);
        ReceivedWebhook request = await receiver.NextAsync();

        using JsonDocument json = JsonDocument.Parse(request.Body);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("window").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("windowEnd").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("runsOutAt").ValueKind);
    }

    [Fact]
    public async Task Slack_SendsOneReadableSentence()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.Format = WebhookBudgetAlertFormat.Slack;
        await using var sink = new WebhookBudgetAlertSink(http, options);

        await sink.OnBudgetAlertAsync(Alert with { Project = "a<b>&c" }, CancellationToken.None);
        ReceivedWebhook request = await receiver.NextAsync();

        using JsonDocument json = JsonDocument.Parse(request.Body);
        Assert.Equal(["text"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            "Budget 'user:42' of project 'a&lt;b&gt;&amp;c' has reached 81.2% of its daily limit: $8.1235 of $10.00 spent. "
            + "It resets at 2026-03-05 00:00 UTC. At this rate it runs out at 2026-03-04 16:30 UTC.",
            json.RootElement.GetProperty("text").GetString());
        Assert.False(string.IsNullOrEmpty(request.Id));
    }

    [Fact]
    public async Task Signature_VerifiesWithTheSecret_AndNotWithAnother()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        var time = new FakeTimeProvider(Start);
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.Secret = "s3cret";
        await using var sink = new WebhookBudgetAlertSink(http, options, time);

        await sink.OnBudgetAlertAsync(Alert, CancellationToken.None);
        ReceivedWebhook request = await receiver.NextAsync();

        string timestamp = request.Headers[WebhookBudgetAlertSink.TimestampHeader];
        Assert.Equal(Start.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), timestamp);
        string signature = request.Headers[WebhookBudgetAlertSink.SignatureHeader];
        Assert.Equal(Signature("s3cret", timestamp, request.Body), signature);
        Assert.NotEqual(Signature("other", timestamp, request.Body), signature);
        Assert.NotEqual(Signature("s3cret", (Start.ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), request.Body), signature);
    }

    [Fact]
    public async Task A503Twice_ThenA200_TakesThreeAttempts_WithTheSameIdAndBody()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = (_, context) => Answer(context, Interlocked.Increment(ref calls) <= 2 ? 503 : 200);
        using var http = new HttpClient();
        var time = new FakeTimeProvider(Start);
        await using var sink = new WebhookBudgetAlertSink(http, Options(receiver), time);

        await sink.OnBudgetAlertAsync(Alert, CancellationToken.None);
        ReceivedWebhook first = await receiver.NextAsync();
        ReceivedWebhook second = await receiver.NextAsync(time);
        ReceivedWebhook third = await receiver.NextAsync(time);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Id, third.Id);
        Assert.Equal(first.Body, third.Body);

        // Sent one at a time: the next request is the next alert only if the third attempt was the last.
        await sink.OnBudgetAlertAsync(Alert with { Key = "next" }, CancellationToken.None);
        Assert.Equal("next", (await receiver.NextAsync(time)).Key);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task A429_WaitsForItsRetryAfter()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = (_, context) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.Headers.RetryAfter = "30";
                return Answer(context, 429);
            }

            return Answer(context, 200);
        };
        using var http = new HttpClient();
        var time = new FakeTimeProvider(Start);
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.MaxRetryDelay = TimeSpan.FromMinutes(1);
        await using var sink = new WebhookBudgetAlertSink(http, options, time);

        await sink.OnBudgetAlertAsync(Alert, CancellationToken.None);
        ReceivedWebhook first = await receiver.NextAsync();
        await Task.Delay(200); // lets the sink start its wait before the clock moves
        time.Advance(TimeSpan.FromSeconds(10)); // past any backoff (at most 1.2 s), short of Retry-After
        await Task.Delay(300);
        Assert.Single(receiver.All);

        ReceivedWebhook second = await receiver.NextAsync(time, TimeSpan.FromSeconds(5));

        Assert.Equal(first.Id, second.Id);
        Assert.True(time.GetUtcNow() - Start >= TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ADroppedConnection_IsRetried_WithTheSameId()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = (_, context) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Abort();
            }

            return Task.CompletedTask;
        };
        using var http = new HttpClient();
        var time = new FakeTimeProvider(Start);
        await using var sink = new WebhookBudgetAlertSink(http, Options(receiver), time);

        await sink.OnBudgetAlertAsync(Alert, CancellationToken.None);
        ReceivedWebhook first = await receiver.NextAsync();
        ReceivedWebhook second = await receiver.NextAsync(time);

        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task A400_IsNotRetried()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = (_, context) => Answer(context, Interlocked.Increment(ref calls) == 1 ? 400 : 200);
        using var http = new HttpClient();
        var time = new FakeTimeProvider(Start);
        var logs = new FakeLogCollector();
        using var loggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        await using var sink = new WebhookBudgetAlertSink(http, Options(receiver), time, loggerFactory);

        await sink.OnBudgetAlertAsync(Alert, CancellationToken.None);
        ReceivedWebhook refused = await receiver.NextAsync();
        await sink.OnBudgetAlertAsync(Alert with { Key = "next" }, CancellationToken.None);
        ReceivedWebhook next = await receiver.NextAsync(time);

        Assert.NotEqual(refused.Id, next.Id);
        Assert.Equal("next", next.Key);
        FakeLogRecord log = Assert.Single(logs.GetSnapshot(), r => r.Message.Contains(refused.Id, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, log.Level);
        Assert.Contains("400", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnBudgetAlertAsync_CompletesWithinTheCall_WhileTheReceiverHangs()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Hang(receiver.Stopping);
        using var http = new HttpClient();
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.DrainTimeout = TimeSpan.Zero;
        await using var sink = new WebhookBudgetAlertSink(http, options);

        Task first = sink.OnBudgetAlertAsync(Alert, CancellationToken.None).AsTask();
        await receiver.NextAsync(); // the sink is now waiting on the receiver
        Task second = sink.OnBudgetAlertAsync(Alert with { Key = "second" }, CancellationToken.None).AsTask();

        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AFullQueue_DropsTheOldestAlert_AndLogsIt()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = (request, _) => request.Key == "a" ? release.Task : Task.CompletedTask;
        using var http = new HttpClient();
        var logs = new FakeLogCollector();
        using var loggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.MaxQueuedAlerts = 2;
        await using var sink = new WebhookBudgetAlertSink(http, options, loggerFactory: loggerFactory);

        await sink.OnBudgetAlertAsync(Alert with { Key = "a" }, CancellationToken.None);
        await receiver.NextAsync(); // "a" is in flight, the queue empty
        foreach (string key in new[] { "b", "c", "d" })
        {
            await sink.OnBudgetAlertAsync(Alert with { Key = key }, CancellationToken.None);
        }

        release.SetResult();
        Assert.Equal("c", (await receiver.NextAsync()).Key);
        Assert.Equal("d", (await receiver.NextAsync()).Key);
        await sink.OnBudgetAlertAsync(Alert with { Key = "e" }, CancellationToken.None);
        Assert.Equal("e", (await receiver.NextAsync()).Key);
        FakeLogRecord dropped = Assert.Single(logs.GetSnapshot(), r => r.Message.StartsWith("Dropped", StringComparison.Ordinal));
        Assert.Contains("'b'", dropped.Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Warning, dropped.Level);
    }

    [Fact]
    public async Task Dispose_SendsWhatIsQueued()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        var sink = new WebhookBudgetAlertSink(http, Options(receiver));

        foreach (string key in new[] { "a", "b", "c" })
        {
            await sink.OnBudgetAlertAsync(Alert with { Key = key }, CancellationToken.None);
        }

        await sink.DisposeAsync();

        Assert.Equal(["a", "b", "c"], receiver.All.Select(r => r.Key));
        Assert.True(sink.OnBudgetAlertAsync(Alert, CancellationToken.None).AsTask().IsCompletedSuccessfully); // logged, not thrown
    }

    [Fact]
    public async Task Dispose_StopsAfterTheDrainTimeout_AndLogsWhatWasNotSent()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Hang(receiver.Stopping);
        using var http = new HttpClient();
        var logs = new FakeLogCollector();
        using var loggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        WebhookBudgetAlertSinkOptions options = Options(receiver);
        options.DrainTimeout = TimeSpan.FromMilliseconds(100);
        var sink = new WebhookBudgetAlertSink(http, options, loggerFactory: loggerFactory);

        await sink.OnBudgetAlertAsync(Alert with { Key = "a" }, CancellationToken.None);
        await receiver.NextAsync();
        await sink.OnBudgetAlertAsync(Alert with { Key = "b" }, CancellationToken.None);
        await sink.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains(logs.GetSnapshot(), r => r.Message == "The webhook sink stopped with 2 budget alerts not sent.");
    }

    internal static string Signature(string secret, string timestamp, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray()));

    private static Task Answer(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static async Task Hang(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException)
        {
            // The receiver is stopping.
        }
    }
}
