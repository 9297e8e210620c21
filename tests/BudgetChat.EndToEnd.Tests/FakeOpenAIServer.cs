using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BudgetChat.EndToEnd.Tests;

/// <summary>
/// An OpenAI-compatible chat completions endpoint on 127.0.0.1 (real Kestrel, a free port) that records every
/// request it receives and answers each with the next <see cref="ScriptedResponse"/> the test queued.
/// </summary>
/// <remarks>A request with nothing left in the script gets a 500 naming the problem, and is recorded like any other. Thread-safe.</remarks>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Queue<ScriptedResponse> _script = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Lock _gate = new();

    private FakeOpenAIServer(WebApplication app) => _app = app;

    /// <summary>Gets the base address to give the OpenAI client as <c>OpenAIClientOptions.Endpoint</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets the requests received so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();

        var server = new FakeOpenAIServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Endpoint = new Uri($"{address}/v1");
        return server;
    }

    /// <summary>Queues answers for the next requests, in order.</summary>
    public void Enqueue(params ScriptedResponse[] responses)
    {
        lock (_gate)
        {
            foreach (ScriptedResponse response in responses)
            {
                _script.Enqueue(response);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        string body = await reader.ReadToEndAsync(context.RequestAborted);
        var request = new RecordedRequest(context.Request.Path, body, context.Request.Headers.Authorization.ToString());

        ScriptedResponse? next;
        lock (_gate)
        {
            _requests.Add(request);
            _script.TryDequeue(out next);
        }

        next ??= ScriptedResponse.Error(StatusCodes.Status500InternalServerError, "server_error", "no_script", "The test scripted no response for this request.");
        await next.WriteAsync(context, request);
    }
}
