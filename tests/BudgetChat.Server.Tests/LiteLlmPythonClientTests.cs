using System.Diagnostics;

namespace BudgetChat.Server.Tests;

/// <summary>
/// LiteLLM's hosted client, played by <c>tests/litellm_client.py</c> (python3 and <c>requests</c>), against the real
/// service: its get_budget, create_budget, update_cost and reset_cost saves, and an error read as LiteLLM reads it.
/// </summary>
public sealed class LiteLlmPythonClientTests
{
    [Fact]
    public async Task LiteLlmsHostedClient_InPython_ReadsAndWritesBudgets()
    {
        string script = FindScript();
        (int exit, string output) = await RunAsync("python3", ["-c", "import requests"]);
        Assert.True(exit == 0, $"This test runs tests/litellm_client.py: install python3 and requests (pip install requests). {output}");
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        (exit, output) = await RunAsync("python3", [script, host.BaseAddress.ToString(), Api.AcmeKey, "acme"]);

        Assert.True(exit == 0, output);
        Assert.Contains("ok", output, StringComparison.Ordinal);
    }

    private static string FindScript()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string path = Path.Combine(folder.FullName, "tests", "litellm_client.py");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException("tests/litellm_client.py was not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"{file} could not be started: {ex.Message}");
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }
}
