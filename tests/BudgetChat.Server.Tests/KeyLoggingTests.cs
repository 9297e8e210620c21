using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using BudgetChat.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>
/// No API key text in any log entry at any level, even for requests Kestrel itself cannot parse (issue 14, point 11).
/// Kestrel copies the text of a header or request line it refuses into its bad-request log (category
/// <c>Microsoft.AspNetCore.Server.Kestrel.BadRequests</c>, Debug) whenever its category
/// <c>Microsoft.AspNetCore.Server.Kestrel</c> is enabled at Information, so these tests switch every category on.
/// </summary>
public sealed partial class KeyLoggingTests
{
    private const string Key = "acme-recognisable-key-4242424242";

    /// <summary>Header blocks Kestrel refuses, each carrying the key, sent as raw bytes.</summary>
    private static readonly string[] MalformedHeaders =
    [
        $"Authorization:\r\n Bearer {Key}\r\n",                  // obs-fold: the key on a continuation line
        $"Authorization: Bearer\r\n\t{Key}\r\n",                 // obs-fold with a tab
        $"Authorization: Bearer {Key}\r\n folded-more\r\n",      // a fold after the key
        $"Authorization: Bearer {Key}\0\r\n",                    // a NUL in the value
        $"Authorization: Bearer {Key}\rX: y\r\n",                // a bare CR
        $"Authorization Bearer {Key}\r\n",                       // no colon
        $"Authorization : Bearer {Key}\r\n",                     // white space before the colon
        $"Authorization: Bearer {Key}{new string('x', 40_000)}\r\n", // a header line over Kestrel's limit (431)
    ];

    /// <summary>Request lines Kestrel refuses, with the key in the target.</summary>
    private static readonly string[] MalformedRequestLines =
    [
        $"GET /v1/projects/acme/budgets?api_key={Key} x HTTP/1.1",
        $"GET /v1/projects/{Key}/budgets HTTP/1.1 x",
        $"GET /v1/projects/acme/budgets?api_key={Key}\0 HTTP/1.1",
    ];

    [Fact]
    public async Task MalformedAuthorizationHeaders_AreRefused_AndTheKeyAppearsInNoLogEntry()
    {
        var logs = new FakeLogCollector();
        var options = new BudgetServerHostOptions
        {
            ConfigureBuilder = builder => builder.Logging.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace),
        };

        // appsettings.json sets Microsoft.AspNetCore to Warning, which would keep Kestrel's request details off.
        options.Configuration["Logging:LogLevel:Default"] = "Trace";
        options.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        options.ApiKeys.Add(("acme", Key));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        await SendEveryMalformedRequestAsync(host.BaseAddress.Host, host.BaseAddress.Port);

        // A well-formed request with the key, so the handler's own logs are in the picture too.
        Assert.StartsWith("HTTP/1.1 200", await SendRawAsync(host.BaseAddress.Host, host.BaseAddress.Port, RequestWith($"Authorization: Bearer {Key}\r\nConnection: close\r\n")), StringComparison.Ordinal);

        IReadOnlyList<FakeLogRecord> records = logs.GetSnapshot();
        Assert.Contains(records, r => r.Category == "Microsoft.AspNetCore.Server.Kestrel.BadRequests" && r.Level == LogLevel.Debug);
        foreach (FakeLogRecord record in records)
        {
            string everything = string.Join("\n", [
                record.Message,
                record.Exception?.ToString() ?? string.Empty,
                .. record.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? [],
                .. record.Scopes.Select(s => s?.ToString() ?? string.Empty)]);
            AssertNoKeyText(everything, $"[{record.Category}] ");
        }
    }

    [Fact]
    public async Task TheServiceProcess_WithEveryCategoryAtTraceOnTheConsole_WritesNoKeyText()
    {
        using var data = new TempDirectory();
        string server = Path.Combine(AppContext.BaseDirectory, "BudgetChat.Server.dll");
        Assert.True(File.Exists(server), $"The server was not built next to the tests: {server}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = data.Path,
        };
        start.ArgumentList.Add(server);
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");

        // As an operator switches on debugging: the environment, over the shipped appsettings.json, console logger.
        start.Environment["Logging__LogLevel__Default"] = "Trace";
        start.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace";
        start.Environment["BudgetServer__ApiKeys__0__Project"] = "acme";
        start.Environment["BudgetServer__ApiKeys__0__Key"] = Key;

        var output = new StringBuilder();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        string marker = $"logs-flushed-{Guid.NewGuid():N}";
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (ListeningOn().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (line.Contains(marker, StringComparison.Ordinal) && line.Contains("Request finished", StringComparison.Ordinal))
            {
                flushed.TrySetResult();
            }
        }

        using Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Output()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            Task exited = process.WaitForExitAsync(timeout.Token);
            Assert.True(await Task.WhenAny(listening.Task, exited) == listening.Task, $"The service did not start: {Output()}");
            int port = await listening.Task;

            await SendEveryMalformedRequestAsync("127.0.0.1", port);
            Assert.StartsWith("HTTP/1.1 200", await SendRawAsync("127.0.0.1", port, RequestWith($"Authorization: Bearer {Key}\r\nConnection: close\r\n")), StringComparison.Ordinal);

            // The console logger writes in order from one queue: once the marker's request is on the console, so is
            // every entry of the requests before it.
            Assert.StartsWith("HTTP/1.1 200", await SendRawAsync("127.0.0.1", port, $"GET /health?{marker} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"), StringComparison.Ordinal);
            await flushed.Task.WaitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }

        string all = Output();
        Assert.Contains("Microsoft.AspNetCore.Server.Kestrel.BadRequests", all, StringComparison.Ordinal);
        AssertNoKeyText(all, string.Empty);
    }

    private static async Task SendEveryMalformedRequestAsync(string host, int port)
    {
        foreach (string headers in MalformedHeaders)
        {
            string answer = await SendRawAsync(host, port, RequestWith(headers));
            Assert.Matches("^HTTP/1.1 4(00|31)", answer);
            Assert.DoesNotContain(Key, answer, StringComparison.Ordinal);
        }

        foreach (string requestLine in MalformedRequestLines)
        {
            string answer = await SendRawAsync(host, port, $"{requestLine}\r\nHost: 127.0.0.1:{port}\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, answer, StringComparison.Ordinal);
        }
    }

    // Kestrel cuts the text it quotes to 128 characters, so a key cut short must not be there either.
    private static void AssertNoKeyText(string text, string context)
    {
        int at = text.IndexOf(Key[..12], StringComparison.Ordinal);
        Assert.True(at < 0, $"{context}key text at {at}: {text.Substring(Math.Max(0, at - 200), Math.Min(text.Length - Math.Max(0, at - 200), 400))}");
    }

    private static string RequestWith(string headers) => $"GET /v1/projects/acme/budgets HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n";

    private static async Task<string> SendRawAsync(string host, int port, string request)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, cancel.Token);
        NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), cancel.Token);

        // Kestrel closes the connection after a 4xx it answers itself and after a Connection: close answer.
        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, cancel.Token);
        }
        catch (IOException) when (answer.Length > 0)
        {
            // A reset after the answer (Kestrel stops reading a request it refused): the answer is what counts.
        }

        return Encoding.Latin1.GetString(answer.ToArray());
    }

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();
}
