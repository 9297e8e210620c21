using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace BudgetChat.Tests;

/// <summary>
/// Runs tests/BudgetChat.StoreWorker processes against one shared budget at the same time and adds up what they report.
/// The worker is built with the test project and copied to StoreWorker/ next to it.
/// </summary>
internal static partial class StoreWorkers
{
    /// <summary>What all workers together were told: reservations admitted and refused, money settled and charged.</summary>
    public sealed record Totals(int Admitted, int Refused, decimal Settled, decimal Charged);

    /// <param name="target">The worker's store: a directory (file store) or a budget service URL (hosted store).</param>
    /// <param name="project">The project whose <c>global</c> budget they charge.</param>
    /// <param name="workers">How many processes.</param>
    /// <param name="callsPerWorker">How many operations each makes.</param>
    /// <param name="scratch">A directory for the start signal.</param>
    /// <param name="environment">Environment variables for the workers, or <see langword="null"/>.</param>
    public static async Task<Totals> RunAsync(string target, string project, int workers, int callsPerWorker, string scratch, IReadOnlyDictionary<string, string>? environment = null)
    {
        string worker = Path.Combine(AppContext.BaseDirectory, "StoreWorker", "BudgetChat.StoreWorker.dll");
        Assert.True(File.Exists(worker), $"The worker was not built next to the tests: {worker}");
        Directory.CreateDirectory(scratch);
        string go = Path.Combine(scratch, "go");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var processes = new List<Process>();
        try
        {
            for (int w = 0; w < workers; w++)
            {
                var start = new ProcessStartInfo(dotnet)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (string argument in new[] { worker, target, project, w.ToString(CultureInfo.InvariantCulture), callsPerWorker.ToString(CultureInfo.InvariantCulture), go })
                {
                    start.ArgumentList.Add(argument);
                }

                foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
                {
                    start.Environment[name] = value;
                }

                processes.Add(Process.Start(start)!);
            }

            // Every worker waits for this file, so they charge at the same time rather than one after another.
            await File.WriteAllTextAsync(go, string.Empty);

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            Task<string>[] outputs = [.. processes.Select(p => p.StandardOutput.ReadToEndAsync(timeout.Token))];
            Task<string>[] errors = [.. processes.Select(p => p.StandardError.ReadToEndAsync(timeout.Token))];
            await Task.WhenAll(processes.Select(p => p.WaitForExitAsync(timeout.Token)));

            var totals = new Totals(0, 0, 0m, 0m);
            for (int w = 0; w < workers; w++)
            {
                string output = await outputs[w];
                Assert.True(processes[w].ExitCode == 0, $"Worker {w} exited with {processes[w].ExitCode}: {output} {await errors[w]}");
                Match line = Summary().Match(output);
                Assert.True(line.Success, $"Worker {w} printed: {output}");
                totals = new Totals(
                    totals.Admitted + int.Parse(line.Groups["admitted"].Value, CultureInfo.InvariantCulture),
                    totals.Refused + int.Parse(line.Groups["refused"].Value, CultureInfo.InvariantCulture),
                    totals.Settled + decimal.Parse(line.Groups["settled"].Value, CultureInfo.InvariantCulture),
                    totals.Charged + decimal.Parse(line.Groups["charged"].Value, CultureInfo.InvariantCulture));
            }

            return totals;
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

    /// <summary>
    /// Checks what the workers were told against the budget they charged: no charge lost, no reservation admitted past
    /// the limit, none left held, and the limit really reached (some refused).
    /// </summary>
    public static void AssertConsistent(Totals totals, BudgetState state, int workers, int callsPerWorker, decimal limit)
    {
        // No charge lost: the store holds exactly what the workers were told they charged.
        Assert.Equal(totals.Settled + totals.Charged, state.Spent);
        Assert.Equal(totals.Settled, state.SpendByModel["reserved"]);
        Assert.Equal(totals.Charged, state.SpendByModel["plain"]);
        Assert.Equal(workers * (callsPerWorker / 10) * 0.01m, totals.Charged);

        // Reservations admitted past the limit would show as settled spend above it; some were refused.
        Assert.True(totals.Settled <= limit, $"Reservations settled {totals.Settled}, more than the limit {limit}.");
        Assert.True(totals.Refused > 0, "The limit was never reached, so the test proves nothing about it.");
        Assert.True(totals.Admitted > 0);
        Assert.Equal(workers * (callsPerWorker - (callsPerWorker / 10)), totals.Admitted + totals.Refused);
        Assert.Equal(0m, state.Reserved);
    }

    [GeneratedRegex(@"admitted=(?<admitted>\d+) refused=(?<refused>\d+) settled=(?<settled>[\d.]+) charged=(?<charged>[\d.]+)")]
    private static partial Regex Summary();
}
