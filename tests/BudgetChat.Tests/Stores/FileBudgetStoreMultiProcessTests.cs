using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace BudgetChat.Tests;

/// <summary>Real processes sharing one budget file through <see cref="FileBudgetStore"/>.</summary>
/// <remarks>
/// The worker (tests/BudgetChat.StoreWorker) is built with this project and copied to StoreWorker/ next to
/// it; each worker reserves 0.05 and settles 0.01 to 0.05, with a plain charge of 0.01 every tenth call.
/// </remarks>
public sealed partial class FileBudgetStoreMultiProcessTests : IDisposable
{
    private const string Project = "shared";
    private const int Workers = 4;
    private const int CallsPerWorker = 250;
    private const decimal Limit = 3.00m;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "budgetchat-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task FourProcesses_ChargingOneFile_LoseNoCharge_AndNeverReserveBeyondTheLimit()
    {
        string worker = Path.Combine(AppContext.BaseDirectory, "StoreWorker", "BudgetChat.StoreWorker.dll");
        Assert.True(File.Exists(worker), $"The worker was not built next to the tests: {worker}");
        Directory.CreateDirectory(_directory);
        using (var setup = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _directory }))
        {
            await setup.SetBudgetAsync(Project, "global", new BudgetDefinition(Limit));
        }

        string go = Path.Combine(_directory, "go");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var processes = new List<Process>();
        try
        {
            for (int w = 0; w < Workers; w++)
            {
                var start = new ProcessStartInfo(dotnet)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (string argument in new[] { worker, _directory, Project, w.ToString(CultureInfo.InvariantCulture), CallsPerWorker.ToString(CultureInfo.InvariantCulture), go })
                {
                    start.ArgumentList.Add(argument);
                }

                processes.Add(Process.Start(start)!);
            }

            // Every worker waits for this file, so they charge at the same time rather than one after another.
            await File.WriteAllTextAsync(go, string.Empty);

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            Task<string>[] outputs = [.. processes.Select(p => p.StandardOutput.ReadToEndAsync(timeout.Token))];
            Task<string>[] errors = [.. processes.Select(p => p.StandardError.ReadToEndAsync(timeout.Token))];
            await Task.WhenAll(processes.Select(p => p.WaitForExitAsync(timeout.Token)));

            int admitted = 0;
            int refused = 0;
            decimal settled = 0m;
            decimal charged = 0m;
            for (int w = 0; w < Workers; w++)
            {
                string output = await outputs[w];
                Assert.True(processes[w].ExitCode == 0, $"Worker {w} exited with {processes[w].ExitCode}: {output} {await errors[w]}");
                Match line = Summary().Match(output);
                Assert.True(line.Success, $"Worker {w} printed: {output}");
                admitted += int.Parse(line.Groups["admitted"].Value, CultureInfo.InvariantCulture);
                refused += int.Parse(line.Groups["refused"].Value, CultureInfo.InvariantCulture);
                settled += decimal.Parse(line.Groups["settled"].Value, CultureInfo.InvariantCulture);
                charged += decimal.Parse(line.Groups["charged"].Value, CultureInfo.InvariantCulture);
            }

            using var reader = new FileBudgetStore(new FileBudgetStoreOptions { Directory = _directory });
            BudgetState state = (await reader.GetBudgetAsync(Project, "global"))!;

            // No charge lost: the file holds exactly what the workers were told they charged.
            Assert.Equal(settled + charged, state.Spent);
            Assert.Equal(settled, state.SpendByModel["reserved"]);
            Assert.Equal(charged, state.SpendByModel["plain"]);
            Assert.Equal(Workers * (CallsPerWorker / 10) * 0.01m, charged);

            // Reservations admitted past the limit would show as settled spend above it; some were refused.
            Assert.True(settled <= Limit, $"Reservations settled {settled}, more than the limit {Limit}.");
            Assert.True(refused > 0, "The limit was never reached, so the test proves nothing about it.");
            Assert.True(admitted > 0);
            Assert.Equal(Workers * (CallsPerWorker - (CallsPerWorker / 10)), admitted + refused);
            Assert.Equal(0m, state.Reserved);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_directory, Project), "*.tmp"));
        }
        finally
        {
            foreach (Process process in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                process.Dispose();
            }
        }
    }

    [GeneratedRegex(@"admitted=(?<admitted>\d+) refused=(?<refused>\d+) settled=(?<settled>[\d.]+) charged=(?<charged>[\d.]+)")]
    private static partial Regex Summary();
}
