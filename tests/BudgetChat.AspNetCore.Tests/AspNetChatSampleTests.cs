using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BudgetChat.Samples;
using BudgetChat.Samples.AspNetChat;
using Microsoft.AspNetCore.Builder;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>The sample app over real HTTP, on the offline demo model.</summary>
public sealed class AspNetChatSampleTests
{
    [Fact]
    public async Task OneUserRunsOutOfTheirDailyBudget_WhileAnotherUserStillChats()
    {
        await using Sample sample = await Sample.StartAsync("--Budget:UserDailyLimit=0.0002");

        // Alice chats until her budget is spent; every answer up to then says what remains.
        var remaining = new List<decimal>();
        HttpResponseMessage? refused = null;
        for (int call = 0; call < 50 && refused is null; call++)
        {
            HttpResponseMessage response = await sample.ChatAsync("alice", "Hello!");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
                break;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("0.0002", Header(response, "X-Budget-Limit"));
            remaining.Add(decimal.Parse(Header(response, "X-Budget-Remaining")!, NumberStyles.Number, CultureInfo.InvariantCulture));
            using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.StartsWith(OfflineChatClient.Label, answer.RootElement.GetProperty("answer").GetString(), StringComparison.Ordinal);
            response.Dispose();
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.True(remaining.Count >= 2, $"Alice should have had a few answers first, had {remaining.Count}.");
            Assert.Equal(remaining.OrderDescending(), remaining);
            Assert.NotNull(Header(refused, "Retry-After"));
            using JsonDocument problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("user:alice", problem.RootElement.GetProperty("budgetKey").GetString());
        }

        // Bob has a budget of his own.
        using HttpResponseMessage bob = await sample.ChatAsync("bob", "Hello!");
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        Assert.True(decimal.Parse(Header(bob, "X-Budget-Remaining")!, NumberStyles.Number, CultureInfo.InvariantCulture) > remaining[^1]);
    }

    [Fact]
    public async Task Refuses401_WhenTheRequestNamesNoUser()
    {
        await using Sample sample = await Sample.StartAsync();

        using HttpResponseMessage response = await sample.ChatAsync(null, "Hello!");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(ChatApp.UserHeader, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses400NamingTheField_WhenTheMessageIsEmpty()
    {
        await using Sample sample = await Sample.StartAsync();

        using HttpResponseMessage response = await sample.ChatAsync("alice", "  ");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("message", out _));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;

    private sealed class Sample : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _client;

        private Sample(WebApplication app)
        {
            _app = app;
            _client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        }

        public static async Task<Sample> StartAsync(params string[] args)
        {
            // The offline model explicitly, so the test never calls OpenAI even when OPENAI_API_KEY is set.
            WebApplication app = ChatApp.Create(
                ["--urls=http://127.0.0.1:0", "--environment=Production", "--Logging:LogLevel:Default=Warning", .. args],
                new OfflineChatClient("gpt-4o-mini"));
            await app.StartAsync();
            return new Sample(app);
        }

        public async Task<HttpResponseMessage> ChatAsync(string? user, string message)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/chat") { Content = JsonContent.Create(new { message }) };
            if (user is not null)
            {
                request.Headers.Add(ChatApp.UserHeader, user);
            }

            return await _client.SendAsync(request);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
