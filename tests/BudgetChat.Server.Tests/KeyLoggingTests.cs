using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>No API key text in any log entry at any level, even for requests Kestrel itself cannot parse.</summary>
public sealed class KeyLoggingTests
{
    private const string Key = "acme-recognisable-key-4242424242";

    /// <summary>Header blocks Kestrel refuses, each carrying the key, sent as raw bytes.</summary>
    private static readonly string[] MalformedHeaders =
    [
        $"Authorization:\r\n Bearer {Key}\r\n",                  // obs-fold: the key on a continuation line
        $"Authorization: Bearer\r\n\t{Key}\r\n",                 // obs-fold with a tab
        $"Authorization: Bearer {Key}\r\n folded-more\r\n",      // a fold after the key
        $"Authorization: Bearer {Key}\0\r\n",                    // a NUL in the value
        $"Authorization: Bearer {Key}\rX: y\r\n",                 // a bare CR
        $"Authorization Bearer {Key}\r\n",                       // no colon
        $"Authorization : Bearer {Key}\r\n",                     // white space before the colon
    ];

    [Fact]
    public async Task MalformedAuthorizationHeaders_AreRefused_AndTheKeyAppearsInNoLogEntry()
    {
        var logs = new FakeLogCollector();
        var options = new BudgetServerHostOptions
        {
            ConfigureBuilder = builder => builder.Logging.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace),
        };
        options.Configuration["Logging:LogLevel:Default"] = "Trace";
        options.Configuration["Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests"] = "Trace";
        options.ApiKeys.Add(("acme", Key));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        foreach (string headers in MalformedHeaders)
        {
            string answer = await SendRawAsync(host.BaseAddress, headers);
            Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, answer, StringComparison.Ordinal);
        }

        // A well-formed request with the key, so the handler's own logs are in the picture too.
        Assert.StartsWith("HTTP/1.1 200", await SendRawAsync(host.BaseAddress, $"Authorization: Bearer {Key}\r\nConnection: close\r\n"), StringComparison.Ordinal);

        IReadOnlyList<FakeLogRecord> records = logs.GetSnapshot();
        Assert.Contains(records, r => r.Level == LogLevel.Trace || r.Level == LogLevel.Debug);
        foreach (FakeLogRecord record in records)
        {
            string everything = string.Join("\n", [
                record.Message,
                record.Exception?.ToString() ?? string.Empty,
                record.Exception?.Message ?? string.Empty,
                .. record.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? [],
                .. record.Scopes.Select(s => s?.ToString() ?? string.Empty)]);
            Assert.False(everything.Contains(Key, StringComparison.Ordinal) || everything.Contains(Key[..16], StringComparison.Ordinal), $"[{record.Category}] {everything}");
        }
    }

    private static async Task<string> SendRawAsync(Uri server, string headers)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, cancel.Token);
        NetworkStream stream = tcp.GetStream();
        byte[] request = Encoding.Latin1.GetBytes($"GET /v1/projects/acme/budgets HTTP/1.1\r\nHost: {server.Authority}\r\n{headers}\r\n");
        await stream.WriteAsync(request, cancel.Token);

        // Kestrel closes the connection after a 400 and after a Connection: close answer.
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cancel.Token);
        return Encoding.Latin1.GetString(answer.ToArray());
    }
}
