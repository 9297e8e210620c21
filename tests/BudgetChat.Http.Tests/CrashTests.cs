using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using BudgetChat.Sqlite;
using BudgetChat.Tests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace BudgetChat.Http.Tests;

/// <summary>
/// The real budget service process (BudgetChat.Server.dll, SQLite in a temp folder) is killed with SIGKILL at random
/// moments while several worker processes (tests/BudgetChat.StoreWorker, <c>crash</c> mode) reserve, settle and charge
/// through <see cref="HostedBudgetStore"/>, and restarted each time on the same data and port (issue 14, the crash test).
/// </summary>
/// <remarks>
/// Each worker retries a call the kill interrupted with the same id until the service answers, and journals every
/// settle and charge it was told succeeded. Afterwards the journals must match the stored spend exactly, every id must
/// have been charged once, the capped budget must never have been passed, and no reservation may be left once the
/// abandoned ones have expired and the service has swept.
/// </remarks>
public sealed partial class CrashTests(ITestOutputHelper output)
{
    private const string Project = "crash";
    private const string EnforceKey = "crash-enforce-key-0123456789";
    private const string AdminKey = "crash-admin-key-0123456789abcd";
    private const int Workers = 3;
    private const int Kills = 10;
    private const decimal CappedLimit = 4.00m;
    private const decimal OpenLimit = 1_000_000m;

    private const string CappedKey = "capped"; // CrashWorker.CappedKey
    private const string OpenKey = "open"; // CrashWorker.OpenKey

    [Fact]
    public async Task KilledUnderLoad_LosesNoAcknowledgedCharge_ChargesNothingTwice_AndHoldsNothingAfterTheSweep()
    {
        var clock = Stopwatch.StartNew();
        using var data = new TempDirectory();
        int port = ServiceProcess.FreeLoopbackPort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        int seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"port {port}, seed {seed}");

        using var service = new ServiceProcess(data.Path, port,
        [
            "--BudgetServer:ApiKeys:0:Project=" + Project,
            "--BudgetServer:ApiKeys:0:Key=" + EnforceKey,
            "--BudgetServer:ApiKeys:1:Project=" + Project,
            "--BudgetServer:ApiKeys:1:Key=" + AdminKey,
            "--BudgetServer:ApiKeys:1:Role=admin",

            // Reservations of the test live 20 s; the test sweeps when they have expired (the service's own sweep is off).
            "--BudgetServer:MaxReservationDuration=00:01:00",
            "--BudgetServer:ResetService:Enabled=false",

            // Several workers on one key, as fast as they go: no rate limit.
            "--BudgetServer:Limits:PermitsPerSecond=0",
        ]);
        await service.StartAsync();
        await using ServiceProvider adminClient = CreateStore(baseAddress, AdminKey, out HostedBudgetStore admin);
        await using ServiceProvider enforceClient = CreateStore(baseAddress, EnforceKey, out HostedBudgetStore enforce);
        await admin.SetBudgetAsync(Project, CappedKey, new BudgetDefinition(CappedLimit));
        await admin.SetBudgetAsync(Project, OpenKey, new BudgetDefinition(OpenLimit));

        string scratch = Path.Combine(data.Path, "scratch");
        Directory.CreateDirectory(scratch);
        string go = Path.Combine(scratch, "go");
        string stop = Path.Combine(scratch, "stop");
        string[] journals = [.. Enumerable.Range(0, Workers).Select(w => Path.Combine(scratch, $"journal-{w}.txt"))];
        List<Process> workers = [.. Enumerable.Range(0, Workers).Select(w => StartWorker(baseAddress, w, journals[w], go, stop))];
        try
        {
            await File.WriteAllTextAsync(go, string.Empty);

            // The first kill only once every worker is charging (starting 3 processes takes a few seconds on 2 cores).
            var started = Stopwatch.StartNew();
            while (journals.Any(j => CountLines([j]) == 0))
            {
                AssertRunning(workers);
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), "The workers did not start charging within 60 s.");
                await Task.Delay(20);
            }

            // Kill at random moments, each one while settles are being acknowledged (the journals grew since the last).
            int acknowledgedAtLastKill = 0;
            for (int kill = 0; kill < Kills; kill++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(700, 2_500)));

                // On a loaded machine (test assemblies run side by side) the workers may take a while to find the restarted
                // service; the next kill waits until they have, so that it lands while settles are being acknowledged.
                var waiting = Stopwatch.StartNew();
                int acknowledged;
                while ((acknowledged = CountLines(journals)) <= acknowledgedAtLastKill && waiting.Elapsed < TimeSpan.FromSeconds(30))
                {
                    AssertRunning(workers);
                    await Task.Delay(50);
                }

                Assert.True(acknowledged > acknowledgedAtLastKill, $"No call was acknowledged within 30 s after kill {kill}: the load stopped.");
                acknowledgedAtLastKill = acknowledged;
                AssertRunning(workers);

                service.Kill();
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 500)));
                await service.StartAsync();
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            await File.WriteAllTextAsync(stop, string.Empty);
            Summary[] summaries = await WaitForWorkersAsync(workers);
            Summary total = summaries.Aggregate((a, b) => a + b);
            output.WriteLine($"{Kills} kills; workers: {total}; load done after {clock.Elapsed.TotalSeconds:F1} s");

            // The kills really interrupted calls: some failed and were retried, some settles among them.
            Assert.Equal(Kills, service.Kills);
            Assert.True(total.Retried > 0, "No call failed: the kills did not interrupt the load.");
            Assert.True(total.RetriedSettles > 0, "No settle was retried: the kills never caught one.");

            // No acknowledged charge lost, none made twice: the journals add up to the stored spend, to the last digit.
            Entry[] entries = [.. journals.SelectMany(ReadJournal)];
            Assert.Equal(total.Acknowledged, entries.Length);
            Assert.Equal(entries.Length, entries.Select(e => e.Id).Distinct(StringComparer.Ordinal).Count());
            BudgetState capped = (await admin.GetBudgetAsync(Project, CappedKey))!;
            BudgetState open = (await admin.GetBudgetAsync(Project, OpenKey))!;
            decimal cappedSettled = entries.Where(e => e.Key == CappedKey).Sum(e => e.Amount);
            decimal openSettled = entries.Where(e => e is { Key: OpenKey, Kind: "settle" }).Sum(e => e.Amount);
            decimal charged = entries.Where(e => e.Kind == "charge").Sum(e => e.Amount);
            Assert.Equal(cappedSettled, capped.Spent);
            Assert.Equal(openSettled + charged, open.Spent);
            Assert.Equal(charged, open.SpendByModel["plain"]);

            // The capped budget was reached (reservations refused) and never passed.
            Assert.True(total.Refused > 0, "No reservation was refused: the limit was never reached, so the test proves nothing about it.");
            Assert.True(capped.Spent <= CappedLimit, $"The capped budget spent {capped.Spent}, more than its limit {CappedLimit}.");
            Assert.True(capped.Spent + capped.Reserved <= CappedLimit, $"The capped budget holds {capped.Spent} + {capped.Reserved}, more than its limit {CappedLimit}.");

            // Every acknowledged id was charged once: sending each again is a retry that charges nothing.
            await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, ct) =>
            {
                BudgetCompletion again = entry.Kind == "charge"
                    ? await enforce.ChargeAsync(Project, [entry.Key], entry.Amount, "plain", entry.Id, ct)
                    : await enforce.SettleAsync(Project, entry.Id, entry.Amount, "reserved", ct);
                Assert.True(again.Status == BudgetCompletionStatus.AlreadyCompleted, $"{entry.Kind} {entry.Id} sent again answered {again.Status}.");
            });
            Assert.Equal(cappedSettled, (await admin.GetBudgetAsync(Project, CappedKey))!.Spent);
            Assert.Equal(openSettled + charged, (await admin.GetBudgetAsync(Project, OpenKey))!.Spent);

            // The abandoned reservations still hold until they expire; once they have, a sweep reclaims every one.
            Assert.True(total.Abandoned > 0);
            Assert.True(capped.Reserved + open.Reserved > 0, "Nothing was held before the sweep, so the sweep proves nothing.");
            TimeSpan untilExpired = DateTimeOffset.FromUnixTimeMilliseconds(summaries.Max(s => s.LastExpiry)) - TimeProvider.System.GetUtcNow();
            if (untilExpired > TimeSpan.Zero)
            {
                await Task.Delay(untilExpired + TimeSpan.FromMilliseconds(100));
            }

            // The service reclaims expired holds in memory as it goes (so its answers no longer count them), but they stay
            // in the database until a sweep writes them off: that is where "nothing held after the sweep" is seen.
            string database = new SqliteBudgetStoreOptions { DataDirectory = Path.Combine(data.Path, "data") }.GetFullDatabasePath();
            Assert.True(await CountActiveReservationsAsync(database) > 0, "No reservation was still held before the sweep, so the sweep proves nothing.");
            await admin.SweepAsync();
            Assert.Equal(0, await CountActiveReservationsAsync(database));
            Assert.Equal([(CappedKey, 0m), (OpenKey, 0m)], await ReadReservedAsync(database));
            Assert.Equal(0m, (await admin.GetBudgetAsync(Project, CappedKey))!.Reserved);
            Assert.Equal(0m, (await admin.GetBudgetAsync(Project, OpenKey))!.Reserved);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acknowledged {entries.Length}, capped spent {capped.Spent} of {CappedLimit}, open spent {open.Spent}; {clock.Elapsed.TotalSeconds:F1} s in all"));
        }
        finally
        {
            foreach (Process worker in workers)
            {
                if (!worker.HasExited)
                {
                    worker.Kill();
                }

                worker.Dispose();
            }
        }
    }

    private static async Task<long> CountActiveReservationsAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM reservations WHERE project = $project AND state = 'active';";
        command.Parameters.AddWithValue("$project", Project);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<(string Key, decimal Reserved)>> ReadReservedAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT budget_key, reserved FROM budgets WHERE project = $project ORDER BY budget_key;";
        command.Parameters.AddWithValue("$project", Project);
        var rows = new List<(string, decimal)>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), decimal.Parse(reader.GetString(1), NumberStyles.Number, CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    private static ServiceProvider CreateStore(Uri baseAddress, string apiKey, out HostedBudgetStore store)
    {
        ServiceProvider provider = new ServiceCollection()
            .AddHostedBudgetStore(o => (o.BaseAddress, o.ApiKey) = (baseAddress, apiKey))
            .BuildServiceProvider();
        store = (HostedBudgetStore)provider.GetRequiredService<IBudgetStore>();
        return provider;
    }

    private static Process StartWorker(Uri baseAddress, int worker, string journal, string go, string stop)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "StoreWorker", "BudgetChat.StoreWorker.dll");
        Assert.True(File.Exists(dll), $"The worker was not built next to the tests: {dll}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { dll, "crash", baseAddress.AbsoluteUri, Project, worker.ToString(CultureInfo.InvariantCulture), journal, go, stop })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[HostedBudgetStoreOptions.ApiKeyEnvironmentVariable] = EnforceKey;
        return Process.Start(start)!;
    }

    private static async Task<Summary[]> WaitForWorkersAsync(List<Process> workers)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<string>[] outputs = [.. workers.Select(p => p.StandardOutput.ReadToEndAsync(timeout.Token))];
        Task<string>[] errors = [.. workers.Select(p => p.StandardError.ReadToEndAsync(timeout.Token))];
        await Task.WhenAll(workers.Select(p => p.WaitForExitAsync(timeout.Token)));
        var summaries = new Summary[workers.Count];
        for (int w = 0; w < workers.Count; w++)
        {
            string printed = await outputs[w];
            Assert.True(workers[w].ExitCode == 0, $"Worker {w} exited with {workers[w].ExitCode}: {printed} {await errors[w]}");
            Match line = SummaryLine().Match(printed);
            Assert.True(line.Success, $"Worker {w} printed: {printed}");
            summaries[w] = new Summary(
                Number(line, "calls"), Number(line, "acknowledged"), Number(line, "refused"), Number(line, "abandoned"),
                Number(line, "retried"), Number(line, "retriedSettles"), Number(line, "replayed"),
                long.Parse(line.Groups["lastExpiry"].Value, CultureInfo.InvariantCulture));
        }

        return summaries;

        static int Number(Match line, string name) => int.Parse(line.Groups[name].Value, CultureInfo.InvariantCulture);
    }

    // The workers are still running, so a kill comes under load; one that stopped says why.
    private static void AssertRunning(List<Process> workers)
    {
        for (int w = 0; w < workers.Count; w++)
        {
            if (workers[w].HasExited)
            {
                Assert.Fail($"Worker {w} stopped early with {workers[w].ExitCode}: {workers[w].StandardError.ReadToEnd()}");
            }
        }
    }

    private static int CountLines(string[] journals) => journals.Sum(path =>
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Count(c => c == '\n');
    });

    private static IEnumerable<Entry> ReadJournal(string path) => File.ReadAllLines(path).Select(line =>
    {
        string[] parts = line.Split(' ');
        Assert.True(parts.Length == 4, $"A journal line of {path} is not 'kind id key amount': {line}");
        return new Entry(parts[0], parts[1], parts[2], decimal.Parse(parts[3], NumberStyles.Number, CultureInfo.InvariantCulture));
    });

    [GeneratedRegex(@"calls=(?<calls>\d+) acknowledged=(?<acknowledged>\d+) refused=(?<refused>\d+) abandoned=(?<abandoned>\d+) retried=(?<retried>\d+) retriedSettles=(?<retriedSettles>\d+) replayed=(?<replayed>\d+) lastExpiry=(?<lastExpiry>-?\d+)")]
    private static partial Regex SummaryLine();

    private sealed record Entry(string Kind, string Id, string Key, decimal Amount);

    private sealed record Summary(int Calls, int Acknowledged, int Refused, int Abandoned, int Retried, int RetriedSettles, int Replayed, long LastExpiry)
    {
        public static Summary operator +(Summary a, Summary b) => new(
            a.Calls + b.Calls, a.Acknowledged + b.Acknowledged, a.Refused + b.Refused, a.Abandoned + b.Abandoned,
            a.Retried + b.Retried, a.RetriedSettles + b.RetriedSettles, a.Replayed + b.Replayed, Math.Max(a.LastExpiry, b.LastExpiry));
    }

    /// <summary>BudgetChat.Server.dll as a child process on a fixed port and data directory, started again after each kill.</summary>
}
