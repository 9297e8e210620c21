using System.Net.Http.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.AspNetCore.Tests;

/// <summary>A real web app on Kestrel (127.0.0.1, port 0) with the integration, a budgeted fake model and test endpoints.</summary>
public sealed class TestApp : IAsyncDisposable
{
    public const string Project = "web-tests";
    public const string UserHeader = "X-User-Id";

    /// <summary>23:00 UTC: a daily budget resets in exactly one hour.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);

    private readonly WebApplication _app;

    private TestApp(WebApplication app, TestChatClient model, FakeTimeProvider time)
    {
        _app = app;
        Model = model;
        Time = time;
        Store = app.Services.GetRequiredService<IBudgetStore>();
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public TestChatClient Model { get; }

    public IBudgetStore Store { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestApp> StartAsync(
        Action<BudgetingChatClientOptions>? budget = null,
        Action<BudgetChatAspNetCoreOptions>? web = null,
        Action<IServiceCollection>? services = null,
        string? requestCulture = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();

        var time = new FakeTimeProvider(Now);
        var model = new TestChatClient();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
        builder.Services.AddBudgetChat(o =>
        {
            o.ProjectName = Project;
            o.MaxBudget = 100m;
            o.DefaultUserBudget = new BudgetDefinition(1m, BudgetPeriod.Daily);
            budget?.Invoke(o);
        });
        builder.Services.AddBudgetChatAspNetCore(o =>
        {
            o.UserHeaderName = UserHeader;
            web?.Invoke(o);
        });
        services?.Invoke(builder.Services);
        builder.Services.AddChatClient(model).UseBudget();

        WebApplication app = builder.Build();
        if (requestCulture is not null)
        {
            app.UseRequestLocalization(requestCulture);
        }

        app.UseExceptionHandler();
        app.UseAuthentication();
        MapEndpoints(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new TestApp(app, model, time);
    }

    public static HttpRequestMessage Post(string path, string? user = null, string? claims = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (user is not null)
        {
            request.Headers.Add(UserHeader, user);
        }

        if (claims is not null)
        {
            request.Headers.Add(TestAuthenticationHandler.ClaimsHeader, claims);
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(string path, string? user = null, string? claims = null)
    {
        using HttpRequestMessage request = Post(path, user, claims);
        return await Client.SendAsync(request);
    }

    public async Task<HttpResponseMessage> SendDowngradesAsync(params BudgetModelDowngrade[] downgrades) =>
        await Client.PostAsJsonAsync("/downgrade", downgrades);

    public ValueTask<BudgetState?> GetUserBudgetAsync(string user) => Store.GetBudgetAsync(Project, BudgetKeys.ForUser(user));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static void MapEndpoints(WebApplication app)
    {
        // The endpoints set no user: the integration supplies it.
        app.MapPost("/chat", async (IChatClient chat, string? text, CancellationToken ct) =>
            Results.Text((await chat.GetResponseAsync(text ?? "Hello", null, ct)).Text));

        app.MapPost("/chat/as/{user}", async (IChatClient chat, string user, CancellationToken ct) =>
            Results.Text((await chat.GetResponseAsync("Hello", new ChatOptions().WithBudgetUser(user), ct)).Text));

        app.MapPost("/chat/headers", async (IChatClient chat, CancellationToken ct) =>
            Results.Text((await chat.GetResponseAsync("Hello", null, ct)).Text))
            .WithBudgetHeaders();

        // The app's own rate limiter has written its fields already.
        app.MapPost("/chat/headers/app-rate-limit", async (HttpContext http, IChatClient chat, CancellationToken ct) =>
        {
            http.Response.Headers[BudgetHeaderNames.RateLimitPolicy] = "\"app\";q=100;w=1";
            http.Response.Headers[BudgetHeaderNames.RateLimit] = "\"app\";a=99;w=1";
            return Results.Text((await chat.GetResponseAsync("Hello", null, ct)).Text);
        })
        .WithBudgetHeaders();

        // Streams the answer; the first update is awaited before the response starts, so a refusal can still be a 429.
        app.MapPost("/chat/stream", async (HttpContext http, IChatClient chat, CancellationToken ct) =>
        {
            await using IAsyncEnumerator<ChatResponseUpdate> updates = chat.GetStreamingResponseAsync("Hello", null, ct).GetAsyncEnumerator(ct);
            if (!await updates.MoveNextAsync())
            {
                return;
            }

            http.Response.ContentType = "text/plain";
            do
            {
                await http.Response.WriteAsync(updates.Current.Text, ct);
            }
            while (await updates.MoveNextAsync());
        })
        .WithBudgetHeaders();

        app.MapPost("/chat/wrapped", async (IChatClient chat, CancellationToken ct) =>
        {
            try
            {
                return Results.Text((await chat.GetResponseAsync("Hello", null, ct)).Text);
            }
            catch (BudgetExceededException ex)
            {
                throw new InvalidOperationException("The framework wrapped it.", ex);
            }
        });

        app.MapPost("/fail", () => { throw new InvalidOperationException("Not a budget problem."); });

        // Reserves a call of gpt-4o-mini with this many tokens on the user's budget in the real store, and throws the
        // refusal the store gives, naming the limit that refused: what the middleware does for limits other than the main one.
        app.MapPost("/reserve", async (IBudgetStore store, TimeProvider time, HttpContext http, long tokens, CancellationToken ct) =>
        {
            string[] keys = [BudgetKeys.ForUser(http.Request.Headers[UserHeader].ToString())];
            var usage = new BudgetUsage(0.0001m, tokens, TestChatClient.ModelId);
            string id = Guid.NewGuid().ToString("N");
            BudgetReservationResult result = await store.ReserveAsync(Project, keys, usage, id, time.GetUtcNow().AddMinutes(1), ct);
            if (!result.IsReserved)
            {
                throw new BudgetExceededException(result.Budget!, result.Window!, usage.In(result.Window!.Unit));
            }

            await store.SettleAsync(Project, id, usage, ct);
            return Results.Text("Reserved");
        })
        .WithBudgetHeaders();

        // Reports the downgrades in the body through the configured callback, inside the request, as the budgeted
        // client does; with afterStart, once the response has started.
        app.MapPost("/downgrade", async (HttpContext http, IOptions<BudgetingChatClientOptions> options, bool? afterStart) =>
        {
            BudgetModelDowngrade[] downgrades = (await http.Request.ReadFromJsonAsync<BudgetModelDowngrade[]>())!;
            if (afterStart == true)
            {
                await http.Response.StartAsync();
            }

            foreach (BudgetModelDowngrade downgrade in downgrades)
            {
                options.Value.OnModelDowngraded!(downgrade);
            }
        });
    }
}
