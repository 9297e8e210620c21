using System.Diagnostics;
using System.Text.Json;

namespace BudgetChat.Cli.Tests;

/// <summary>What a run of the tool printed and returned.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Out">stdout.</param>
/// <param name="Error">stderr.</param>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>Gets stdout's lines, without the empty last one.</summary>
    public string[] Lines => Out.Split('\n', StringSplitOptions.None).Select(l => l.TrimEnd('\r')).SkipLast(Out.EndsWith('\n') ? 1 : 0).ToArray();

    /// <summary>Parses stdout as the one JSON document --json writes.</summary>
    public JsonElement Json()
    {
        Assert.True(ExitCode == 0, $"Exit code {ExitCode}: {Error}");
        using JsonDocument document = JsonDocument.Parse(Out);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the built tool (Cli/BudgetChat.Cli.dll, copied next to the tests) with <c>dotnet</c>, as the StoreWorker tests run
/// their worker: stdout and stderr redirected, so the tool sees no terminal; the environment is the test's own less the
/// variables the tool reads (the API key, NO_COLOR), which a test sets when it means to.
/// </summary>
internal static class CliProcess
{
    public static string ToolPath { get; } = Path.Combine(AppContext.BaseDirectory, "Cli", "BudgetChat.Cli.dll");

    public static string Dotnet { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    public static Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, environment: null);

    public static async Task<CliResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, string? workingDirectory = null)
    {
        using Process process = Start(arguments, environment, workingDirectory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>Starts the tool and leaves it running (for <c>serve</c>); the caller reads its streams and ends it.</summary>
    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        Assert.True(File.Exists(ToolPath), $"The tool was not built next to the tests: {ToolPath}");
        var start = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        start.ArgumentList.Add(ToolPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in (string[])["BUDGETCHAT_API_KEY", "NO_COLOR", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"])
        {
            start.Environment.Remove(name);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }
}
