using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Http.Tests;

/// <summary>A request the receiver got: the exact body bytes and the headers.</summary>
internal sealed record ReceivedWebhook(byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Id => Headers[WebhookBudgetAlertSink.AlertIdHeader];

    public string? Key
    {
        get
        {
            using JsonDocument json = JsonDocument.Parse(Body);
            return json.RootElement.TryGetProperty("key", out JsonElement key) ? key.GetString() : null;
        }
    }
}

/// <summary>A webhook receiver on real Kestrel at 127.0.0.1: records every request, then answers as the test says (200 by default).</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedWebhook> _arrivals = Channel.CreateUnbounded<ReceivedWebhook>();
    private readonly ConcurrentQueue<ReceivedWebhook> _all = new();
    private readonly CancellationTokenSource _stopping = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Gets or sets how the receiver answers a request, after recording it.</summary>
    public Func<ReceivedWebhook, HttpContext, Task> Respond { get; set; } = static (_, _) => Task.CompletedTask;

    public IReadOnlyCollection<ReceivedWebhook> All => _all;

    /// <summary>Cancelled when the receiver stops: a handler that hangs waits on it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public static async Task<WebhookReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            Dictionary<string, string> headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new ReceivedWebhook(body.ToArray(), headers);
            receiver._all.Enqueue(request);
            receiver._arrivals.Writer.TryWrite(request);
            await receiver.Respond(request, context);
        });
        await app.StartAsync();
        receiver.Url = new Uri(new Uri(app.Urls.Single()), "/hook");
        return receiver;
    }

    /// <summary>Waits for the next request; with a fake clock, moves it on by <paramref name="step"/> while waiting, so retry delays pass.</summary>
    public async Task<ReceivedWebhook> NextAsync(FakeTimeProvider? time = null, TimeSpan? step = null)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(time is null ? 15_000 : 20));
            try
            {
                return await _arrivals.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
                time?.Advance(step ?? TimeSpan.FromSeconds(2));
            }
        }

        throw new TimeoutException("No webhook request arrived.");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
