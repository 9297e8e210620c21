using System.Net;
using BudgetChat.Server.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// Once the server listens, says in the log whether the service runs with keys or open, and stops the start when it
/// would run open on an address that is not loopback.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal sealed class ListenAddressGuard(IServer server, ApiKeyRegistry keys, ILogger<ListenAddressGuard> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        ICollection<string> addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        string list = string.Join(", ", addresses);
        if (!keys.IsOpen)
        {
            BudgetServerLog.KeysConfigured(logger, keys.Count, keys.ProjectCount, list);
            return Task.CompletedTask;
        }

        foreach (string address in addresses)
        {
            if (!IsLoopback(address))
            {
                BudgetServerLog.OpenModeRefused(logger, address);
                throw new InvalidOperationException(
                    $"No API keys are configured (BudgetServer:ApiKeys), and the budget service listens on {address}, which is not a loopback address. Configure API keys, or listen on 127.0.0.1 only.");
            }
        }

        BudgetServerLog.OpenMode(logger, list);
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Tells whether a listening address (<c>http://127.0.0.1:5380</c>) is a loopback address.</summary>
    internal static bool IsLoopback(string address)
    {
        // Kestrel's wildcard hosts (*, +, 0.0.0.0, [::]) do not parse as URIs with an IP host, or are not loopback.
        if (!Uri.TryCreate(address.Replace("://*", "://any-host", StringComparison.Ordinal).Replace("://+", "://any-host", StringComparison.Ordinal), UriKind.Absolute, out Uri? uri))
        {
            return false;
        }

        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip);
    }
}
