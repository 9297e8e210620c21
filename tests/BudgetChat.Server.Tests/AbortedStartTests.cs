using BudgetChat.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BudgetChat.Server.Tests;

/// <summary>
/// A start that is cancelled (Ctrl+C while starting) stops the reset service as a normal end: no <c>crit</c> entry
/// saying that it failed and stopped the host (issue 14, point 17).
/// </summary>
public sealed class AbortedStartTests
{
    [Fact]
    public async Task ACancelledStart_EndsTheResetServiceNormally_WithoutACriticalEntry()
    {
        using var data = new TempDirectory();
        var logs = new FakeLogCollector();
        WebApplicationBuilder builder = BudgetServer.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["BudgetServer:DataDirectory"] = data.Path });
        builder.Logging.ClearProviders().AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace);

        // Started after the reset service: the start waits here until it is cancelled.
        var blocker = new StartBlocker();
        builder.Services.AddSingleton<IHostedService>(blocker);
        await using WebApplication app = BudgetServer.Build(builder);
        using var cancel = new CancellationTokenSource();

        Task start = app.StartAsync(cancel.Token);
        await blocker.Reached.Task.WaitAsync(TimeSpan.FromMinutes(1));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start);

        // The host logs a background service whose task ended cancelled or faulted when that task completes.
        BudgetResetService reset = app.Services.GetServices<IHostedService>().OfType<BudgetResetService>().Single();
        Task execute = reset.ExecuteTask!;
        await Task.WhenAny(execute, Task.Delay(TimeSpan.FromMinutes(1)));
        Assert.True(execute.IsCompleted, "the reset service did not stop");
        await Task.Yield();
        await Task.Delay(50);

        // The host's own "Hosting failed to start" is true: the start was cancelled. Nothing else is an error.
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level == LogLevel.Critical || (r.Level == LogLevel.Error && r.Message != "Hosting failed to start"));
        Assert.True(execute.IsCompletedSuccessfully, $"the reset service ended {execute.Status}");
    }

    private sealed class StartBlocker : IHostedService
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            Reached.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
