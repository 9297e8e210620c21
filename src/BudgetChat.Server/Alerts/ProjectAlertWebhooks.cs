using BudgetChat.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Alerts;

/// <summary>
/// The alert webhooks of the service (<c>BudgetServer:Webhooks</c>): one <see cref="WebhookBudgetAlertSink"/> per
/// configured project, and the one named <c>*</c> for every project. The settle and charge endpoints hand it the alerts
/// their charges raised; the sinks queue them and send in the background, so a call never waits for a webhook.
/// </summary>
/// <remarks>Thread-safe. Disposed with the service, which sends what is queued for each sink's drain timeout.</remarks>
internal sealed class ProjectAlertWebhooks : IAsyncDisposable
{
    /// <summary>The key of the webhook that receives the alerts of every project.</summary>
    public const string AllProjects = "*";

    private readonly Dictionary<string, WebhookBudgetAlertSink> _byProject = new(StringComparer.Ordinal);
    private readonly WebhookBudgetAlertSink? _all;

    public ProjectAlertWebhooks(IOptions<BudgetServerOptions> options, IHttpClientFactory clients, TimeProvider time, ILoggerFactory loggers)
    {
        foreach ((string project, WebhookBudgetAlertSinkOptions webhook) in options.Value.Webhooks)
        {
            var sink = new WebhookBudgetAlertSink(clients.CreateClient(WebhookBudgetAlertServiceCollectionExtensions.HttpClientName), webhook, time, loggers);
            if (project == AllProjects)
            {
                _all = sink;
            }
            else
            {
                _byProject.Add(project, sink);
            }
        }
    }

    /// <summary>Gets a value indicating whether any webhook is configured.</summary>
    public bool IsEmpty => _all is null && _byProject.Count == 0;

    /// <summary>Queues the alerts of a charge in the project's webhook and the all-projects one; returns at once.</summary>
    /// <param name="project">The project charged.</param>
    /// <param name="alerts">The alerts the charge raised.</param>
    /// <returns>A task that completes when the alerts are queued, at once.</returns>
    public async ValueTask PublishAsync(string project, IReadOnlyList<BudgetAlert> alerts)
    {
        if (alerts.Count == 0 || IsEmpty)
        {
            return;
        }

        WebhookBudgetAlertSink? own = _byProject.GetValueOrDefault(project);
        foreach (BudgetAlert alert in alerts)
        {
            // Queuing completes at once and never throws for a full queue (the sink logs and drops the oldest).
            if (own is not null)
            {
                await own.OnBudgetAlertAsync(alert, CancellationToken.None).ConfigureAwait(false);
            }

            if (_all is not null)
            {
                await _all.OnBudgetAlertAsync(alert, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WebhookBudgetAlertSink sink in _byProject.Values)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }

        if (_all is not null)
        {
            await _all.DisposeAsync().ConfigureAwait(false);
        }
    }
}
