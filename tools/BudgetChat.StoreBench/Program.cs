using System.Diagnostics;
using System.Globalization;
using BudgetChat.StoreBench;

// Side-by-side throughput of the budget stores on this machine: reserve + settle pairs on two keys (a user's and a
// global budget every pair touches) at 1, 16 and 64 in flight, each target in turn in one process, with the anchors
// (the same pair as bare SQL or Lua) in the same run. See docs/scaling.md.
//
//   dotnet run -c Release --project tools/BudgetChat.StoreBench -- [--seconds 5] [--inflight 1,16,64] [--only a,b]
var settings = Settings.Parse(args);
var results = new List<Result>();
foreach (TargetFactory factory in Targets.All)
{
    if (settings.Only is { } only && !only.Contains(factory.Name, StringComparer.Ordinal))
    {
        continue;
    }

    foreach (int inFlight in settings.InFlight)
    {
        Console.Error.WriteLine($"// {factory.Name}, {inFlight} in flight ...");
        await using ITarget target = await factory.Create();
        results.Add(await Runner.RunAsync(factory.Name, target, inFlight, settings.Duration));
    }
}

Console.WriteLine($"Run of {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {settings.Duration.TotalSeconds:0} s per row after 1 s of warm-up.");
Console.WriteLine();
Console.WriteLine("| Target | In flight | Pairs/s | p50 | p99 | CPU per pair | Allocated per pair |");
Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|");
foreach (Result r in results)
{
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"| {r.Target} | {r.InFlight} | {r.PairsPerSecond:#,0} | {r.P50.TotalMilliseconds:0.00} ms | {r.P99.TotalMilliseconds:0.00} ms | {r.CpuPerPair.TotalMicroseconds:#,0} µs | {r.BytesPerPair / 1024.0:0.0} KB |"));
}

namespace BudgetChat.StoreBench
{
    internal sealed record Settings(TimeSpan Duration, int[] InFlight, string[]? Only)
    {
        public static Settings Parse(string[] args)
        {
            var settings = new Settings(TimeSpan.FromSeconds(5), [1, 16, 64], null);
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                settings = args[i] switch
                {
                    "--seconds" => settings with { Duration = TimeSpan.FromSeconds(double.Parse(args[i + 1], CultureInfo.InvariantCulture)) },
                    "--inflight" => settings with { InFlight = [.. args[i + 1].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))] },
                    "--only" => settings with { Only = args[i + 1].Split(',') },
                    _ => throw new ArgumentException($"Unknown option '{args[i]}'; the options are --seconds, --inflight and --only."),
                };
            }

            return settings;
        }
    }

    internal sealed record Result(string Target, int InFlight, double PairsPerSecond, TimeSpan P50, TimeSpan P99, TimeSpan CpuPerPair, double BytesPerPair);

    internal static class Runner
    {
        public static async Task<Result> RunAsync(string name, ITarget target, int inFlight, TimeSpan duration)
        {
            // Warm-up, then the measured run: every worker makes pairs until the time is up, timing each.
            await RunWorkers(target, inFlight, TimeSpan.FromSeconds(1), "w");
            GC.Collect();
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime + target.ServerProcessorTime();
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            List<long> latencies = await RunWorkers(target, inFlight, duration, "m");
            watch.Stop();
            cpu = Process.GetCurrentProcess().TotalProcessorTime + target.ServerProcessorTime() - cpu;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;

            latencies.Sort();
            int pairs = latencies.Count;
            return new Result(
                name,
                inFlight,
                pairs / watch.Elapsed.TotalSeconds,
                TimeSpan.FromTicks(Stopwatch.GetElapsedTime(0, latencies[pairs / 2]).Ticks),
                TimeSpan.FromTicks(Stopwatch.GetElapsedTime(0, latencies[Math.Min(pairs - 1, (int)(pairs * 0.99))]).Ticks),
                cpu / pairs,
                (double)allocated / pairs);
        }

        private static async Task<List<long>> RunWorkers(ITarget target, int inFlight, TimeSpan duration, string phase)
        {
            long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var workers = new Task<List<long>>[inFlight];
            for (int w = 0; w < inFlight; w++)
            {
                int worker = w;
                workers[w] = Task.Run(async () =>
                {
                    var latencies = new List<long>(4096);
                    for (long i = 0; Stopwatch.GetTimestamp() < end; i++)
                    {
                        long start = Stopwatch.GetTimestamp();
                        await target.PairAsync(worker, $"{phase}{worker}-{i}");
                        latencies.Add(Stopwatch.GetTimestamp() - start);
                    }

                    return latencies;
                });
            }

            return [.. (await Task.WhenAll(workers)).SelectMany(l => l)];
        }
    }
}
