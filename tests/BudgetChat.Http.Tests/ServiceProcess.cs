using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetChat.Http.Tests;

/// <summary>
/// The real budget service (BudgetChat.Server.dll, built next to the tests) as a child process on a loopback port, with
/// its data in <c>data</c> under <paramref name="contentRoot"/>; started again on the same data after a <see cref="Kill"/>.
/// </summary>
/// <param name="contentRoot">The service's working folder.</param>
/// <param name="port">The loopback port it listens on.</param>
/// <param name="arguments">Configuration arguments of the test (keys, limits), after the URL, data folder and log level.</param>
internal sealed class ServiceProcess(string contentRoot, int port, IEnumerable<string> arguments) : IDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public int Kills { get; private set; }

    /// <summary>A port the kernel just handed out and took back: free now, and kept by a test across restarts of the service.</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async Task StartAsync()
    {
        string server = Path.Combine(AppContext.BaseDirectory, "BudgetChat.Server.dll");
        Assert.True(File.Exists(server), $"The server was not built next to the tests: {server}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = contentRoot,
        };
        foreach (string argument in new[] { server, $"--urls=http://127.0.0.1:{port}", "--BudgetServer:DataDirectory=data", "--Logging:LogLevel:Default=Warning" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Up when it answers its health check; a start that fails shows what the service wrote.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };
        var giveUp = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, $"The service exited with {(_process.HasExited ? _process.ExitCode : 0)}: {Output()}");
            Assert.True(giveUp.Elapsed < TimeSpan.FromSeconds(30), $"The service did not answer within 30 s: {Output()}");
            try
            {
                using HttpResponseMessage health = await http.GetAsync("health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(20);
        }
    }

    // SIGKILL on Linux: no shutdown, no flush, whatever was in flight is cut off.
    public void Kill()
    {
        Assert.NotNull(_process);
        Assert.False(_process.HasExited, $"The service had already exited: {Output()}");
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
        Kills++;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }
}
