using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Tests;

/// <summary>The connection cap and the per-caller request rate limit (issue 14, point 13).</summary>
public sealed class LimitsTests
{
    private const string P = "v1/projects/acme";

    [Fact]
    public async Task OverTheRate_ARequestIs429_WithRetryAfter_AndAnotherKeyIsNotLimited()
    {
        // One request per 1000 s after a burst of 3: no token comes back while the test runs.
        BudgetServerHostOptions options = Limited(permitsPerSecond: "0.001", burst: "3");
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.ApiKeys.Add(("globex", Api.GlobexKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        HttpClient acme = host.CreateClient(Api.AcmeKey);

        for (int i = 0; i < 3; i++)
        {
            var (status, _, _) = await acme.GetJsonAsync($"{P}/budgets");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        var (limited, body, response) = await acme.GetJsonAsync($"{P}/budgets");

        Api.AssertProblem(HttpStatusCode.TooManyRequests, limited, body, response);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {response.Headers.RetryAfter}");
        var (other, _, _) = await host.CreateClient(Api.GlobexKey).GetJsonAsync("v1/projects/globex/budgets");
        Assert.Equal(HttpStatusCode.OK, other);
    }

    [Fact]
    public async Task InvalidKeys_ShareTheBucketOfTheirAddress()
    {
        BudgetServerHostOptions options = Limited(permitsPerSecond: "0.001", burst: "2");
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        // A made-up key per request gets no bucket of its own.
        for (int i = 0; i < 2; i++)
        {
            var (status, _, _) = await host.CreateClient($"made-up-key-number-{i:D4}").GetJsonAsync($"{P}/budgets");
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }

        var (limited, _, response) = await host.CreateClient("made-up-key-number-9999").GetJsonAsync($"{P}/budgets");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited);
        Assert.NotNull(response.Headers.RetryAfter);
        var (valid, _, _) = await host.CreateClient(Api.AcmeKey).GetJsonAsync($"{P}/budgets");
        Assert.Equal(HttpStatusCode.OK, valid);
    }

    [Fact]
    public async Task InOpenMode_TheLimitIsPerAddress()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(Limited(permitsPerSecond: "0.001", burst: "2"));

        HttpStatusCode[] statuses = new HttpStatusCode[3];
        for (int i = 0; i < statuses.Length; i++)
        {
            // A new client (and connection) each time: the bucket is the address's, not the connection's.
            (statuses[i], _, _) = await host.CreateClient().GetJsonAsync($"{P}/budgets");
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task ARateOfZero_TurnsTheLimitOff()
    {
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(Limited(permitsPerSecond: "0", burst: "1"));
        HttpClient client = host.CreateClient();

        for (int i = 0; i < 20; i++)
        {
            var (status, _, _) = await client.GetJsonAsync($"{P}/budgets");
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    [Theory]
    [InlineData("BudgetServer:Limits:PermitsPerSecond", "-1")]
    [InlineData("BudgetServer:Limits:Burst", "0")]
    [InlineData("BudgetServer:Limits:MaxConcurrentConnections", "0")]
    public async Task ALimitOutOfRange_StopsTheStart_NamingTheSetting(string setting, string value)
    {
        var options = new BudgetServerHostOptions();
        options.Configuration[setting] = value;

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => BudgetServerHost.StartAsync(options));

        Assert.Contains(setting.Split(':')[^1], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxConcurrentConnections_IsKestrels_AndDefaultsTo1000()
    {
        await using BudgetServerHost byDefault = await BudgetServerHost.StartAsync();
        var options = new BudgetServerHostOptions();
        options.Configuration["BudgetServer:Limits:MaxConcurrentConnections"] = "7";
        await using BudgetServerHost configured = await BudgetServerHost.StartAsync(options);

        Assert.Equal(1000, byDefault.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxConcurrentConnections);
        Assert.Equal(7, configured.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxConcurrentConnections);
    }

    [Fact]
    public async Task AConnectionOverTheCap_IsClosedWithoutAnAnswer_AndServedOnceOneCloses()
    {
        var options = new BudgetServerHostOptions();
        options.Configuration["BudgetServer:Limits:MaxConcurrentConnections"] = "1";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);

        // The first connection is served and kept open (keep-alive), so it holds the one place.
        using var first = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
        NetworkStream stream = first.GetStream();
        string answer = await SendRawAsync(stream, host.BaseAddress, "health");
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);

        using (var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("health", UriKind.Relative)));
        }

        // Once it is closed, the place is free again (Kestrel frees it when it has seen the close: retry a few times).
        first.Close();
        HttpStatusCode? status = null;
        for (int attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
        {
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using HttpResponseMessage response = await client.GetAsync(new Uri("health", UriKind.Relative));
                status = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(20);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static BudgetServerHostOptions Limited(string permitsPerSecond, string burst)
    {
        var options = new BudgetServerHostOptions();
        options.Configuration["BudgetServer:Limits:PermitsPerSecond"] = permitsPerSecond;
        options.Configuration["BudgetServer:Limits:Burst"] = burst;
        return options;
    }

    private static async Task<string> SendRawAsync(NetworkStream stream, Uri baseAddress, string path)
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET /{path} HTTP/1.1\r\nHost: 127.0.0.1:{baseAddress.Port}\r\n\r\n");
        await stream.WriteAsync(request);
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Headers and the short body of /health ("Healthy").
        while (!text.ToString().Contains("Healthy", StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
