using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace BudgetChat.Cli.Tests;

/// <summary>The tool on a real budget service on 127.0.0.1 (<c>--url</c>), and <c>budgetchat serve</c> running one.</summary>
public sealed class ServiceTests : IAsyncLifetime
{
    private BudgetService _service = null!;

    public async Task InitializeAsync() => _service = await BudgetService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task SetListGetResetDelete_OnTheService_WithTheKeyFromTheEnvironment()
    {
        CliResult set = await _service.RunAsync("budgets", "set", "user:alice", "--limit", "10", "--period", "daily");
        await _service.Store.ChargeAsync(BudgetService.Project, ["user:alice"], 2.5m, "gpt-4o", "c1");
        JsonElement list = (await _service.RunAsync("budgets", "list", "--json")).Json();
        CliResult get = await _service.RunAsync("budgets", "get", "user:alice");
        JsonElement reset = (await _service.RunAsync("budgets", "reset", "user:alice", "--json")).Json();
        CliResult delete = await _service.RunAsync("budgets", "delete", "user:alice");
        CliResult gone = await _service.RunAsync("budgets", "get", "user:alice");

        Assert.True(set.ExitCode == 0, set.ToString());
        JsonElement alice = Assert.Single(list.GetProperty("budgets").EnumerateArray());
        Assert.Equal((BudgetService.Project, "user:alice", 10m, 2.5m), (alice.GetProperty("project").GetString(), alice.GetProperty("key").GetString(), alice.GetProperty("limit").GetDecimal(), alice.GetProperty("spent").GetDecimal()));
        Assert.Contains("Spent        $2.50", get.Lines);
        Assert.Equal(0m, reset.GetProperty("spent").GetDecimal());
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal(1, gone.ExitCode);
        Assert.Null(await _service.Store.GetBudgetAsync(BudgetService.Project, "user:alice"));
    }

    [Fact]
    public async Task ApiKeyOption_IsUsed_OverTheEnvironment()
    {
        CliResult result = await CliProcess.RunAsync(
            ["--url", _service.Url, "--project", BudgetService.Project, "--api-key", BudgetService.ApiKey, "budgets", "list"],
            new Dictionary<string, string> { ["BUDGETCHAT_API_KEY"] = "not-the-key-0123456789" });

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-key-0123456789")]
    public async Task ExitsWith3_SayingTheKeyWasRefused_WhenTheKeyIsWrongOrMissing(string? key)
    {
        CliResult result = await CliProcess.RunAsync(
            ["--url", _service.Url, "--project", BudgetService.Project, "budgets", "list"],
            key is null ? null : new Dictionary<string, string> { ["BUDGETCHAT_API_KEY"] = key });

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("API key", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith3_WhenTheKeyBelongsToAnotherProject()
    {
        CliResult result = await CliProcess.RunAsync(
            ["--url", _service.Url, "--project", "someone-else", "budgets", "list"],
            new Dictionary<string, string> { ["BUDGETCHAT_API_KEY"] = BudgetService.ApiKey });

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("'someone-else'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith3_WhenNothingListensAtTheAddress()
    {
        int port = FreePort();

        CliResult result = await CliProcess.RunAsync("--url", $"http://127.0.0.1:{port}/", "budgets", "list");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportThenImport_ThroughTheService_RoundTripsTheUsers()
    {
        await _service.Store.SetBudgetAsync(BudgetService.Project, "user:alice", new BudgetDefinition(10m, BudgetPeriod.Weekly, BudgetWindowAlignment.Rolling));
        await _service.Store.ChargeAsync(BudgetService.Project, ["user:alice"], 1.5m, "gpt-4o", "c1");
        using var folder = new BudgetChat.Tests.TempDirectory();
        string file = Path.Combine(folder.Path, "user_cost.json");

        CliResult export = await _service.RunAsync("export-litellm", file);
        await _service.Store.DeleteBudgetAsync(BudgetService.Project, "user:alice");
        CliResult import = await _service.RunAsync("import-litellm", file);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(import.ExitCode == 0, import.ToString());
        BudgetState alice = (await _service.Store.GetBudgetAsync(BudgetService.Project, "user:alice"))!;
        Assert.Equal((10m, BudgetPeriod.Weekly, 1.5m), (alice.Limit, alice.Definition.Period, alice.Spent));
    }

    [Fact]
    public async Task Serve_RunsTheServiceOnADatabaseFile_UntilSigterm()
    {
        await using var db = new SqliteFile();
        int port = FreePort();
        using Process serve = CliProcess.Start(["serve", "--db", db.Path, $"--urls=http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning"]);
        var log = new StringBuilder();
        serve.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        serve.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        try
        {
            await WaitForHealthAsync(serve, port, log);

            CliResult set = await CliProcess.RunAsync("--url", $"http://127.0.0.1:{port}/", "budgets", "set", "global", "--limit", "7");
            Assert.True(set.ExitCode == 0, set.ToString());

            // SIGTERM, as a service manager stops it: a graceful stop and exit code 0.
            using (Process kill = Process.Start("kill", ["-TERM", serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await serve.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(serve.ExitCode == 0, $"serve exited with {serve.ExitCode}: {log}");
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill();
            }
        }

        Assert.Equal(7m, (await db.Store.GetBudgetAsync("default", "global"))!.Limit);
    }

    [Fact]
    public async Task Serve_ExitsWith6_WhenItsAddressIsTaken()
    {
        await using var db = new SqliteFile();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        CliResult serve = await CliProcess.RunAsync("serve", "--db", db.Path, $"--urls=http://127.0.0.1:{port}");

        Assert.Equal(6, serve.ExitCode);
        Assert.Contains("could not start", serve.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ExitsWith2_WhenGivenAServiceToUse()
    {
        CliResult serve = await CliProcess.RunAsync("serve", "--url", _service.Url);

        Assert.Equal(2, serve.ExitCode);
        Assert.Contains("--urls", serve.Error, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForHealthAsync(Process serve, int port, StringBuilder log)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };
        var giveUp = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(serve.HasExited, $"serve exited: {log}");
            Assert.True(giveUp.Elapsed < TimeSpan.FromSeconds(60), $"serve did not answer within 60 s: {log}");
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

            await Task.Delay(50);
        }
    }
}
