using System.Diagnostics;
using System.Globalization;
using BudgetChat;
using Microsoft.Extensions.AI;

// Cold start: process start to the first call done, for the bare Microsoft.Extensions.AI pipeline and the budgeted
// one, each in fresh processes, alternating so that both see the same machine.
//
//   dotnet run -c Release --project tools/BudgetChat.ColdStart [-- <processes per row, default 10>]
//
// The parent times each child with a Stopwatch from just before Process.Start until the child writes its result
// line, which it does right after its first GetResponseAsync returns; the child reports then the time since its Main
// began, the processor time its threads have used (steadier than wall time on a busy machine) and its resident memory.
// Run with one argument naming a row, the program is that child.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args is [string row] && Rows.Names.Contains(row))
{
    await Child.RunAsync(row);
    return;
}

int runs = args is [string count] ? int.Parse(count, CultureInfo.InvariantCulture) : 10;
var results = Rows.Names.ToDictionary(name => name, _ => new List<Sample>());

// One unmeasured round first, so that no row pays for loading the files from disk into the page cache.
foreach (string name in Rows.Names)
{
    Parent.Spawn(name);
}

for (int i = 0; i < runs; i++)
{
    foreach (string name in Rows.Names)
    {
        results[name].Add(Parent.Spawn(name));
    }
}

Sample bare = Sample.Median(results[Rows.Bare]);
Console.WriteLine($"{runs} fresh processes per row, medians; {Environment.ProcessorCount} cores, .NET {Environment.Version}.");
Console.WriteLine();
Console.WriteLine("| Row | Process start → first call done | × bare | In Main | CPU time | × bare | Working set | Peak working set | − bare (peak) |");
Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
foreach (string name in Rows.Names)
{
    Sample m = Sample.Median(results[name]);
    Console.WriteLine(
        $"| {name} | {m.TotalMs:0} ms | {m.TotalMs / bare.TotalMs:0.00}× | {m.InMainMs:0} ms | {m.CpuMs:0} ms | {m.CpuMs / bare.CpuMs:0.00}× | {m.WorkingSetMb:0.0} MB | {m.PeakWorkingSetMb:0.0} MB | {m.PeakWorkingSetMb - bare.PeakWorkingSetMb:+0.0;-0.0} MB |");
}

/// <summary>The rows of the table: how each child builds its pipeline.</summary>
internal static class Rows
{
    public const string Bare = "bare";
    public const string Budgeted = "budgeted";
    public const string BudgetedByteCount = "budgeted-bytecount";

    public static readonly string[] Names = [Bare, Budgeted, BudgetedByteCount];

    public static IChatClient Build(string row)
    {
        var builder = new ChatClientBuilder(new FakeChatClient());
        return row switch
        {
            Bare => builder.Build(),

            // The defaults: an in-memory store of its own, the built-in prices, the default estimator.
            Budgeted => builder.UseBudget(o => o.DefaultUserBudget = new BudgetDefinition(10m)).Build(),

            // The same with the UTF-8 byte bound instead of the tokenizer.
            BudgetedByteCount => builder.Use(inner => new BudgetingChatClient(
                inner,
                new InMemoryBudgetStore(),
                new BudgetingChatClientOptions { DefaultUserBudget = new BudgetDefinition(10m) },
                tokenEstimator: new ByteCountTokenEstimator())).Build(),

            _ => throw new ArgumentOutOfRangeException(nameof(row), row, "Unknown row."),
        };
    }
}

/// <summary>One child process: build the pipeline, make one call, report.</summary>
internal static class Child
{
    public static async Task RunAsync(string row)
    {
        var inMain = Stopwatch.StartNew();
        using IChatClient client = Rows.Build(row);
        ChatResponse response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "Hey, how's it going?")],
            new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 256 }.WithBudgetUser("user-1"));
        inMain.Stop();

        if (response.Text.Length == 0)
        {
            throw new InvalidOperationException("The first call returned no text.");
        }

        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"{inMain.Elapsed.TotalMilliseconds} {self.TotalProcessorTime.TotalMilliseconds} {Environment.WorkingSet} {self.PeakWorkingSet64}");
    }
}

/// <summary>The parent: starts children and reads their results.</summary>
internal static class Parent
{
    public static Sample Spawn(string row)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };

        // Started as "dotnet BudgetChat.ColdStart.dll", the child must be too.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Parent).Assembly.Location);
        }

        start.ArgumentList.Add(row);

        var total = Stopwatch.StartNew();
        using Process child = Process.Start(start)!;
        string line = child.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"The '{row}' child wrote nothing.");
        total.Stop();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The '{row}' child exited with {child.ExitCode}.");
        }

        string[] parts = line.Split(' ');
        return new Sample(
            total.Elapsed.TotalMilliseconds,
            double.Parse(parts[0], CultureInfo.InvariantCulture),
            double.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture) / 1_048_576.0,
            long.Parse(parts[3], CultureInfo.InvariantCulture) / 1_048_576.0);
    }
}

/// <summary>One child's figures.</summary>
internal sealed record Sample(double TotalMs, double InMainMs, double CpuMs, double WorkingSetMb, double PeakWorkingSetMb)
{
    public static Sample Median(List<Sample> samples) => new(
        Median(samples.Select(s => s.TotalMs)),
        Median(samples.Select(s => s.InMainMs)),
        Median(samples.Select(s => s.CpuMs)),
        Median(samples.Select(s => s.WorkingSetMb)),
        Median(samples.Select(s => s.PeakWorkingSetMb)));

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>The model: answers at once, with usage, as a provider's client would after its HTTP call.</summary>
internal sealed class FakeChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Fine, thanks."))
        {
            ModelId = options?.ModelId,
            Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 4, TotalTokenCount = 16 },
        });

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
