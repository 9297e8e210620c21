using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>
/// Starts the registered <see cref="BudgetOutbox"/> with the host (loading what a previous run left in its storage) and
/// drains it when the host stops, for at most <see cref="BudgetOutboxOptions.DrainTimeout"/>. Registered by <c>AddBudgetChat</c>.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal sealed class BudgetOutboxService(BudgetOutbox outbox, IOptions<BudgetOutboxOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => outbox.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => outbox.DrainAsync(options.Value.DrainTimeout, cancellationToken);
}
