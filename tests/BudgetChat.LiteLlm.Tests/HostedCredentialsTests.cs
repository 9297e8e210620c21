using System.Collections.Concurrent;
using BudgetChat.Http;
using BudgetChat.Server.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetChat.LiteLlm.Tests;

/// <summary>
/// The API key and extra headers of a hosted <see cref="BudgetManager"/> and of <see cref="LiteLlmServerBudgetStore"/>,
/// against the budget service on 127.0.0.1 with an API key, which records the headers of every request it is sent.
/// </summary>
public sealed class HostedCredentialsTests : IAsyncLifetime
{
    internal const string Project = "acme";
    internal const string Key = "acme-key-0123456789abcdef";

    private readonly List<IDisposable> _owned = [];

    internal RecordingServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RecordingServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }

        await Server.DisposeAsync();
    }

    [Fact]
    public async Task Hosted_SendsTheKeyAndHeadersFromOptions_OnEveryRequest()
    {
        using var manager = new BudgetManager(Project, BudgetClientType.Hosted, Server.BaseAddress, new BudgetManagerOptions
        {
            ApiKey = Key,
            Headers = { ["X-Tenant"] = "tenant-7", ["Content-Type"] = "application/json" },
        });

        await UseAsync(manager);

        IReadOnlyList<RecordedRequest> requests = Server.Requests;
        Assert.NotEmpty(requests);
        Assert.All(requests, r =>
        {
            Assert.StartsWith("/v1/", r.Path, StringComparison.Ordinal);
            Assert.Equal($"Bearer {Key}", r.Authorization);
            Assert.Equal("tenant-7", r.Tenant);
        });
    }

    [Fact]
    public async Task Hosted_AnAuthorizationHeader_TakesThePlaceOfTheKey_AsLiteLlmsHeadersDo()
    {
        using var manager = new BudgetManager(Project, BudgetClientType.Hosted, Server.BaseAddress, new BudgetManagerOptions
        {
            Headers = { ["Authorization"] = $"Bearer {Key}" },
        });

        await UseAsync(manager);

        Assert.All(Server.Requests, r => Assert.Equal($"Bearer {Key}", r.Authorization));
    }

    [Fact]
    public async Task LiteLlmServer_SendsTheKeyAndHeaders_OnEveryRequest()
    {
        using var http = new HttpClient();
        using var store = new LiteLlmServerBudgetStore(http, Server.BaseAddress, Key, new Dictionary<string, string> { ["X-Tenant"] = "tenant-7" });
        using var manager = new BudgetManager(Project, store);

        await UseAsync(manager);

        IReadOnlyList<RecordedRequest> requests = Server.Requests;
        Assert.Contains(requests, r => r.Path == "/get_budget");
        Assert.Contains(requests, r => r.Path == "/set_budget");
        Assert.All(requests, r =>
        {
            Assert.Equal($"Bearer {Key}", r.Authorization);
            Assert.Equal("tenant-7", r.Tenant);
        });
    }

    [Fact]
    public async Task LiteLlmServer_AnAuthorizationHeader_TakesThePlaceOfTheKey()
    {
        using var http = new HttpClient();
        using var store = new LiteLlmServerBudgetStore(http, Server.BaseAddress, headers: [new("Authorization", $"Bearer {Key}")]);
        using var manager = new BudgetManager(Project, store);

        await UseAsync(manager);

        Assert.All(Server.Requests, r => Assert.Equal($"Bearer {Key}", r.Authorization));
    }

    [Fact]
    public async Task Hosted_ARefusedKey_IsNeverInTheException()
    {
        const string wrong = "wrong-key-0123456789abcdef";
        using var manager = new BudgetManager(Project, BudgetClientType.Hosted, Server.BaseAddress, new BudgetManagerOptions { ApiKey = wrong });

        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => manager.CreateBudgetAsync("alice", 1m));

        Assert.DoesNotContain(wrong, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("BudgetManagerOptions.ApiKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiteLlmServer_WithoutAKey_SaysHowToPassOne()
    {
        using var http = new HttpClient();
        using var store = new LiteLlmServerBudgetStore(http, Server.BaseAddress, headers: [new("X-Secret", "secret-value-42")]);

        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => store.GetBudgetAsync(Project, "user:alice").AsTask());

        Assert.Contains("none was sent", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apiKey", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value-42", ex.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, Action<BudgetManagerOptions>> InvalidOptions => new()
    {
        { "ApiKey", o => o.ApiKey = " " },
        { "ApiKey", o => o.ApiKey = "secret-value-42\n" },
        { "Headers", o => o.Headers["X-Secret"] = "secret-value-42\r\nX-Injected: 1" },
        { "Headers", o => o.Headers["X-Secret"] = "secret-välue-42" },
        { "Headers", o => o.Headers["Bad Name"] = "secret-value-42" },
        { "Headers", o => o.Headers["Content-Length"] = "42" },
        { "Headers", o => o.Headers["Content-Type"] = "text/plain" },
        { "Headers", o => (o.ApiKey, o.Headers["authorization"]) = ("key-0123456789abcdef", "Bearer secret-value-42") },
        { "ReservationTimeout", o => o.ReservationTimeout = TimeSpan.Zero },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptions_AreRefused_NamingTheSetting_NeverTheValue(string setting, Action<BudgetManagerOptions> configure)
    {
        var options = new BudgetManagerOptions();
        configure(options);

        var local = Assert.ThrowsAny<ArgumentException>(() => new BudgetManager(Project, new InMemoryBudgetStore(), options));
        var hosted = Assert.ThrowsAny<ArgumentException>(() => new BudgetManager(Project, BudgetClientType.Hosted, Server.BaseAddress, options));

        foreach (ArgumentException ex in new[] { local, hosted })
        {
            Assert.Equal(setting, ex.ParamName);
            Assert.Contains($"BudgetManagerOptions.{setting}", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void InvalidHeaders_AreRefused_ByTheStores_NamingTheSetting_NeverTheValue()
    {
        using var http = new HttpClient();
        var litellm = Assert.Throws<ArgumentException>(() => new LiteLlmServerBudgetStore(http, Server.BaseAddress, headers: [new("X-Secret", "secret\n")]));
        var withKey = Assert.Throws<ArgumentException>(() => new LiteLlmServerBudgetStore(http, Server.BaseAddress, Key, [new("Authorization", "Bearer secret")]));
        var key = Assert.Throws<ArgumentException>(() => new LiteLlmServerBudgetStore(http, Server.BaseAddress, "secret\n"));
        var options = new HostedBudgetStoreOptions { BaseAddress = Server.BaseAddress, Headers = { ["X-Secret"] = "secret\n" } };
        var hosted = Assert.Throws<ArgumentException>(() => new HostedBudgetStore(http, options));

        Assert.Equal("headers", litellm.ParamName);
        Assert.Equal("headers", withKey.ParamName);
        Assert.Equal("apiKey", key.ParamName);
        Assert.Equal("Headers", hosted.ParamName);
        Assert.Contains("X-Secret", hosted.Message, StringComparison.Ordinal);
        Assert.All(new[] { litellm, withKey, key, hosted }, ex => Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal));
    }

    internal static async Task UseAsync(BudgetManager manager)
    {
        await manager.CreateBudgetAsync("alice", 2m, BudgetPeriod.Daily);
        await manager.UpdateCostAsync("alice", new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
        {
            ModelId = "gpt-4o",
            Usage = new UsageDetails { InputTokenCount = 1_000, OutputTokenCount = 100 },
        });
        await using (BudgetLease lease = await manager.ReserveAsync("alice", "gpt-4o", [new(ChatRole.User, "hi")], 100))
        {
            Assert.True(lease.IsAcquired);
        }

        Assert.Equal(["alice"], await manager.GetUsersAsync());
        Assert.True(await manager.GetCurrentCostAsync("alice") > 0m);
    }
}

/// <summary>
/// Reads <c>BUDGETCHAT_API_KEY</c>, which is process-wide: these tests run alone (see <see cref="EnvironmentVariableTests"/>).
/// </summary>
[Collection(EnvironmentVariableTests.Name)]
public sealed class HostedApiKeyEnvironmentTests : IAsyncLifetime
{
    private RecordingServer _server = null!;
    private string? _saved;

    public async Task InitializeAsync()
    {
        _saved = Environment.GetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable);
        _server = await RecordingServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable, _saved);
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Hosted_AKeyArgument_WinsOverTheEnvironment()
    {
        Environment.SetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable, "wrong-key-0123456789abcdef");
        using var manager = new BudgetManager(HostedCredentialsTests.Project, BudgetClientType.Hosted, _server.BaseAddress, new BudgetManagerOptions { ApiKey = HostedCredentialsTests.Key });

        await HostedCredentialsTests.UseAsync(manager);

        Assert.All(_server.Requests, r => Assert.Equal($"Bearer {HostedCredentialsTests.Key}", r.Authorization));
    }

    [Fact]
    public async Task Hosted_AnAuthorizationHeader_WinsOverTheEnvironment()
    {
        Environment.SetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable, "wrong-key-0123456789abcdef");
        using var manager = new BudgetManager(HostedCredentialsTests.Project, BudgetClientType.Hosted, _server.BaseAddress, new BudgetManagerOptions
        {
            Headers = { ["Authorization"] = $"Bearer {HostedCredentialsTests.Key}" },
        });

        await HostedCredentialsTests.UseAsync(manager);

        Assert.All(_server.Requests, r => Assert.Equal($"Bearer {HostedCredentialsTests.Key}", r.Authorization));
    }

    [Fact]
    public async Task Hosted_WithoutAKeyArgument_SendsTheEnvironmentsKey_AndTheHeaders()
    {
        Environment.SetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable, HostedCredentialsTests.Key);
        using var manager = new BudgetManager(HostedCredentialsTests.Project, BudgetClientType.Hosted, _server.BaseAddress, new BudgetManagerOptions
        {
            Headers = { ["X-Tenant"] = "tenant-7" },
        });

        await HostedCredentialsTests.UseAsync(manager);

        Assert.All(_server.Requests, r => Assert.Equal(($"Bearer {HostedCredentialsTests.Key}", "tenant-7"), (r.Authorization, r.Tenant)));
    }

    [Fact]
    public async Task Hosted_WithoutAnyKey_SaysBothWaysToPassOne()
    {
        Environment.SetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable, null);
        using var manager = new BudgetManager(HostedCredentialsTests.Project, BudgetClientType.Hosted, _server.BaseAddress);

        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => manager.CreateBudgetAsync("alice", 1m));

        Assert.Contains("none was sent", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BudgetManagerOptions.ApiKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable, ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>Tests that change environment variables: run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentVariableTests
{
    public const string Name = "Environment variables";
}

internal sealed record RecordedRequest(string Path, string? Authorization, string? Tenant);

/// <summary>The budget service on 127.0.0.1 with one API key, recording the headers of every request before it is handled.</summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests;
    private readonly BudgetServerHost _host;

    private RecordingServer(BudgetServerHost host, ConcurrentQueue<RecordedRequest> requests)
    {
        _host = host;
        _requests = requests;
    }

    public Uri BaseAddress => _host.BaseAddress;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<RecordingServer> StartAsync()
    {
        var requests = new ConcurrentQueue<RecordedRequest>();
        var options = new BudgetServerHostOptions
        {
            ConfigureBuilder = builder => builder.Services.AddSingleton<IStartupFilter>(new RecordFirst(requests)),
        };
        options.ApiKeys.Add((HostedCredentialsTests.Project, HostedCredentialsTests.Key));
        return new RecordingServer(await BudgetServerHost.StartAsync(options), requests);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private sealed class RecordFirst(ConcurrentQueue<RecordedRequest> requests) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                requests.Enqueue(new RecordedRequest(
                    context.Request.Path.Value ?? "",
                    context.Request.Headers.Authorization.FirstOrDefault(),
                    context.Request.Headers["X-Tenant"].FirstOrDefault()));
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
