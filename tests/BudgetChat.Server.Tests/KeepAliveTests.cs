using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace BudgetChat.Server.Tests;

/// <summary>
/// Refusals on a reused keep-alive connection: a request refused before its body is read (415, 413, 401, 403, 400)
/// gets a complete answer, and the next request on the same client succeeds. The service either keeps the connection
/// (it drains a body within <c>MaxRequestBodyBytes</c>, or reads one within <c>MaxLiteLlmBodyBytes</c> on LiteLLM's
/// routes) or says <c>Connection: close</c> and closes it (a larger body,
/// which it will not read); it never closes a connection it left open.
/// </summary>
public sealed class KeepAliveTests : IAsyncLifetime
{
    private const string P = "v1/projects/acme";
    private const int Rounds = 5;
    private const int Huge = 2_000_000;

    private BudgetServerHost _host = null!;
    private SocketsHttpHandler _handler = null!;
    private HttpClient _client = null!;
    private int _connections;

    public static TheoryData<string> Refusals() => [.. Cases.Keys];

    /// <summary>A refused request, the status it must get, and whether the service may keep the connection.</summary>
    private static readonly Dictionary<string, (Func<HttpRequestMessage> Request, HttpStatusCode Status, bool Keeps)> Cases = new()
    {
        ["415, text/plain, 10 B"] = (() => Post($"{P}/charges", Bytes(10), "text/plain"), HttpStatusCode.UnsupportedMediaType, true),
        ["415, text/plain, 100 KB"] = (() => Post($"{P}/charges", Bytes(100_000), "text/plain"), HttpStatusCode.UnsupportedMediaType, false),
        ["415, text/plain, 10 B, chunked"] = (() => Post($"{P}/charges", Bytes(10), "text/plain", chunked: true), HttpStatusCode.UnsupportedMediaType, false),
        ["413, 100 KB"] = (() => Post($"{P}/charges", Bytes(100_000), "application/json"), HttpStatusCode.RequestEntityTooLarge, false),
        ["413, 100 KB, chunked"] = (() => Post($"{P}/charges", Bytes(100_000), "application/json", chunked: true), HttpStatusCode.RequestEntityTooLarge, false),
        ["401, 1 KB"] = (() => Post($"{P}/charges", Bytes(1_000), "application/json", key: null), HttpStatusCode.Unauthorized, true),
        ["401, 100 KB"] = (() => Post($"{P}/charges", Bytes(100_000), "application/json", key: null), HttpStatusCode.Unauthorized, false),
        ["403, another project's key, 1 KB"] = (() => Post("v1/projects/globex/charges", Bytes(1_000), "application/json"), HttpStatusCode.Forbidden, true),
        ["403, a cross-site Origin, 100 KB"] = (() => WithOrigin(Post($"{P}/charges", Bytes(100_000), "application/json")), HttpStatusCode.Forbidden, false),
        ["400, not JSON, 1 KB"] = (() => Post($"{P}/charges", Bytes(1_000), "application/json"), HttpStatusCode.BadRequest, true),
        ["400, not JSON, 1 KB, chunked"] = (() => Post($"{P}/charges", Bytes(1_000), "application/json", chunked: true), HttpStatusCode.BadRequest, true),
        ["400, a bad key before the body, 1 KB"] = (() => Post($"{P}/budget/get-or-create?key=%20", Bytes(1_000), "application/json"), HttpStatusCode.BadRequest, true),

        // LiteLLM's routes read up to MaxLiteLlmBodyBytes once the caller is authorized; before that, as every route.
        ["LiteLLM 400, not JSON, 300 KB"] = (() => Post("set_budget", Bytes(300_000), "application/json"), HttpStatusCode.BadRequest, true),
        ["LiteLLM 400, not JSON, 300 KB, chunked"] = (() => Post("set_budget", Bytes(300_000), "application/json", chunked: true), HttpStatusCode.BadRequest, true),
        ["LiteLLM 401, 1 KB"] = (() => Post("get_budget", Bytes(1_000), "application/json", key: null), HttpStatusCode.Unauthorized, true),
        ["LiteLLM 401, 300 KB"] = (() => Post("set_budget", Bytes(300_000), "application/json", key: null), HttpStatusCode.Unauthorized, false),
        ["LiteLLM 413, 600 KB"] = (() => Post("set_budget", Bytes(600_000), "application/json"), HttpStatusCode.RequestEntityTooLarge, false),
        ["LiteLLM 413, 600 KB, chunked"] = (() => Post("get_budget", Bytes(600_000), "application/json", chunked: true), HttpStatusCode.RequestEntityTooLarge, false),
    };

    public async Task InitializeAsync()
    {
        var options = new BudgetServerHostOptions();
        options.ApiKeys.Add(("acme", Api.AcmeKey));
        options.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0";
        options.Configuration["BudgetServer:MaxLiteLlmBodyBytes"] = "500000";
        _host = await BudgetServerHost.StartAsync(options);
        await _host.Store.SetBudgetAsync("acme", "k", new BudgetDefinition(1000m));

        // One connection at a time, counted as it is opened.
        _handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref _connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(_handler) { BaseAddress = _host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ARefusal_IsAnsweredInFull_AndTheNextRequestOnTheSameClientSucceeds(string name)
    {
        (Func<HttpRequestMessage> create, HttpStatusCode status, bool keeps) = Cases[name];
        for (int round = 0; round < Rounds; round++)
        {
            await AssertServedAsync($"before round {round}");
            int connections = Volatile.Read(ref _connections);

            using HttpRequestMessage refused = create();
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(refused);
            }
            catch (HttpRequestException ex) when (!keeps && ex.InnerException is IOException)
            {
                // .NET's client sends the whole body before it reads: over a body the service will not read, it may
                // meet the closed connection first (AHugeUnreadBody_IsAnsweredInFull_WithConnectionClose checks the
                // answer with a client that reads while it sends). The next request must still succeed.
                await AssertServedAsync($"after round {round}, cut off while sending");
                Assert.Equal(1, Volatile.Read(ref _connections) - connections);
                continue;
            }

            using var answered = response;
            string text = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == status, $"{name}, round {round}: {(int)response.StatusCode} {text}");
            using (JsonDocument problem = JsonDocument.Parse(text))
            {
                Api.AssertProblem(status, response.StatusCode, problem.RootElement, response);
            }

            await AssertServedAsync($"after round {round}");

            // A connection the answer did not close is the one the next request used.
            bool closes = response.Headers.ConnectionClose == true;
            int opened = Volatile.Read(ref _connections) - connections;
            Assert.True(opened == (closes ? 1 : 0), $"{name}, round {round}: Connection: close = {closes}, and {opened} connections were opened for the next request.");
            Assert.True(keeps != closes, $"{name}, round {round}: the answer says Connection: close = {closes}.");
        }
    }

    /// <summary>
    /// A body far over the limit is never read: the service answers, says <c>Connection: close</c> and closes, and the
    /// client may still be sending. A client that reads while it sends (this raw one, curl, browsers) gets the whole answer.
    /// </summary>
    [Theory]
    [InlineData("text/plain", false, 415, null)]
    [InlineData("text/plain", true, 415, null)]
    [InlineData("application/json", false, 413, null)]
    [InlineData(null, true, 401, null)]
    [InlineData("application/json", false, 413, "set_budget")]
    [InlineData("application/json", true, 413, "get_budget")]
    [InlineData("application/json", false, 401, "set_budget")]
    public async Task AHugeUnreadBody_IsAnsweredInFull_WithConnectionClose(string? contentType, bool chunked, int status, string? path)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _host.BaseAddress.Port);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        string head = $"POST /{path ?? $"{P}/charges"} HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            (status == 401 ? string.Empty : $"Authorization: Bearer {Api.AcmeKey}\r\n") +
            $"Content-Type: {contentType ?? "application/json"}\r\n" +
            (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {Huge}\r\n") + "\r\n";

        // Sent while the answer is read; the writes fail once the service has closed the connection.
        Task sending = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                byte[] piece = Bytes(50_000);
                for (int sent = 0; sent < Huge; sent += piece.Length)
                {
                    await stream.WriteAsync(chunked ? Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n") : []);
                    await stream.WriteAsync(piece);
                    await stream.WriteAsync(chunked ? "\r\n"u8.ToArray() : []);
                }

                await stream.WriteAsync(chunked ? "0\r\n\r\n"u8.ToArray() : []);
            }
            catch (IOException)
            {
            }
        });

        byte[] received = await ReadUntilClosedAsync(stream);
        await sending;

        string text = Encoding.UTF8.GetString(received);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"No complete head in {received.Length} bytes: {text}");
        string[] headers = text[..end].Split("\r\n");
        Assert.StartsWith($"HTTP/1.1 {status} ", headers[0], StringComparison.Ordinal);
        Assert.Contains("Connection: close", headers, StringComparer.OrdinalIgnoreCase);
        string body = headers.Contains("Transfer-Encoding: chunked", StringComparer.OrdinalIgnoreCase)
            ? Dechunk(text[(end + 4)..])
            : text[(end + 4)..];
        using JsonDocument problem = JsonDocument.Parse(body);
        if (path is null)
        {
            Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        }
        else
        {
            // LiteLLM's routes answer in LiteLLM's error shape.
            Assert.Equal("error", problem.RootElement.GetProperty("status").GetString());
        }
    }

    /// <summary>
    /// .NET's client sends the whole body before it reads the answer, so over a huge unread body it may fail with a broken
    /// pipe instead of the answer (the service closed, as HTTP/1.1 lets it); either way the next request on the client
    /// goes out on a new connection and succeeds, and an answer that did come says <c>Connection: close</c>.
    /// </summary>
    [Theory]
    [InlineData("text/plain", false)]
    [InlineData("text/plain", true)]
    [InlineData("application/json", false)]
    public async Task AfterAHugeUnreadBody_TheNextRequestOnTheSameClientSucceeds(string contentType, bool chunked)
    {
        for (int round = 0; round < Rounds; round++)
        {
            await AssertServedAsync($"before round {round}");
            int connections = Volatile.Read(ref _connections);
            try
            {
                using HttpRequestMessage refused = Post($"{P}/charges", Bytes(Huge), contentType, chunked: chunked);
                using HttpResponseMessage response = await _client.SendAsync(refused);
                string text = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode is 413 or 415, $"round {round}: {(int)response.StatusCode} {text}");
                Assert.True(response.Headers.ConnectionClose == true, $"round {round}: the answer does not say Connection: close.");
            }
            catch (HttpRequestException ex) when (ex.InnerException is IOException)
            {
                // The body could not all be sent: the service had answered and closed.
            }

            await AssertServedAsync($"after round {round}");
            Assert.Equal(1, Volatile.Read(ref _connections) - connections);
        }
    }

    private static async Task<byte[]> ReadUntilClosedAsync(Stream stream)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the answer: what came before it is what is checked.
        }

        return received.ToArray();
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        int at = 0;
        while (true)
        {
            int line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            Assert.True(line > at, $"A chunk size is missing: {chunked}");
            int size = int.Parse(chunked[at..line], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, line + 2, size);
            at = line + 2 + size + 2;
        }
    }

    private async Task AssertServedAsync(string when)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{P}/budget?key=k");
        request.Headers.Authorization = Api.Bearer(Api.AcmeKey);
        using HttpResponseMessage response = await _client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{when}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static byte[] Bytes(int length) => Encoding.ASCII.GetBytes(new string('x', length));

    private static HttpRequestMessage Post(string path, byte[] body, string contentType, string? key = Api.AcmeKey, bool chunked = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = Api.Bearer(key);
        }

        request.Headers.TransferEncodingChunked = chunked;
        return request;
    }

    private static HttpRequestMessage WithOrigin(HttpRequestMessage request)
    {
        request.Headers.Add("Origin", "http://evil.example");
        return request;
    }
}
