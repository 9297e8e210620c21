using System.Diagnostics;
using BudgetChat.Sqlite;
using BudgetChat.Tests;
using Microsoft.Data.Sqlite;

namespace BudgetChat.Server.Tests;

/// <summary>
/// A start that fails for a reason the operator can fix ends the real process with one line on stderr and a non-zero
/// exit code, not a stack trace (issue 14, point 16).
/// </summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task ABadOption_ExitsNonZero_WithOneLineNamingTheSetting()
    {
        using var data = new TempDirectory();

        var (exitCode, stdout, stderr) = await RunServerAsync(data.Path, "--BudgetServer:TimeZone=Mars/Olympus_Mons");

        AssertOneLineFailure(exitCode, stdout, stderr, "BudgetServer:TimeZone", "Mars/Olympus_Mons");
    }

    [Fact]
    public async Task ABadOptionOfTheResetService_ExitsNonZero_WithOneLineNamingTheSetting()
    {
        using var data = new TempDirectory();

        var (exitCode, stdout, stderr) = await RunServerAsync(data.Path, "--BudgetServer:ResetService:Interval=-00:01:00");

        AssertOneLineFailure(exitCode, stdout, stderr, "Interval");
    }

    [Fact]
    public async Task ADamagedDatabase_ExitsNonZero_WithOneLineNamingTheFile()
    {
        using var data = new TempDirectory();
        string path = await CreateDamagedDatabaseAsync(data.Path);

        var (exitCode, stdout, stderr) = await RunServerAsync(data.Path);

        AssertOneLineFailure(exitCode, stdout, stderr, path, "damaged");
    }

    [Fact]
    public async Task ADataDirectoryThatIsAFile_ExitsNonZero_WithOneLineNamingIt()
    {
        using var data = new TempDirectory();
        string file = Path.Combine(data.Path, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        var (exitCode, stdout, stderr) = await RunServerAsync(data.Path, $"--BudgetServer:DataDirectory={file}");

        AssertOneLineFailure(exitCode, stdout, stderr, "not-a-directory");
    }

    private static void AssertOneLineFailure(int exitCode, string stdout, string stderr, params string[] named)
    {
        string all = $"exit {exitCode}\nstderr:\n{stderr}\nstdout:\n{stdout}";
        Assert.True(exitCode != 0, all);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("budgetchat-server: ", line, StringComparison.Ordinal);
        Assert.All(named, name => Assert.Contains(name, line, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stderr + stdout, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunServerAsync(string contentRoot, params string[] arguments)
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
        start.ArgumentList.Add(server);
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        using Process process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    // A database the service wrote, with every page after the second overwritten: the header and schema still read.
    private static async Task<string> CreateDamagedDatabaseAsync(string contentRoot)
    {
        string directory = Path.Combine(contentRoot, "data");
        var options = new SqliteBudgetStoreOptions { DataDirectory = directory };
        await using (var store = new SqliteBudgetStore(options))
        {
            for (int i = 0; i < 300; i++)
            {
                await store.SetBudgetAsync("acme", $"user:{i}", new BudgetDefinition(1m));
            }
        }

        string path = options.GetFullDatabasePath();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = DELETE;";
            command.ExecuteNonQuery();
        }

        byte[] bytes = await File.ReadAllBytesAsync(path);
        Assert.True(bytes.Length > 3 * 4096, $"the database is only {bytes.Length} bytes");
        for (int i = 2 * 4096; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 7919 % 251);
        }

        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }
}
