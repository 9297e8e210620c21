using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BudgetChat.Http.Wire;

namespace BudgetChat.Http;

/// <summary>
/// Sends requests to the budget service and turns what goes wrong into the exceptions a store throws: unreachable
/// (connection errors, timeouts, 408, 429, 5xx after the retries) is <see cref="BudgetStoreUnavailableException"/>;
/// a refused key is <see cref="UnauthorizedAccessException"/>; a rejected request is <see cref="ArgumentException"/>;
/// a feature the service's store lacks (501) is <see cref="NotSupportedException"/>.
/// </summary>
internal sealed class BudgetServiceConnection(HttpClient http, HostedBudgetStoreOptions options)
{
    private readonly HttpClient _http = http;
    private readonly Uri _baseAddress = options.BaseAddress!.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
    private readonly AuthenticationHeaderValue? _authorization = options.ApiKey is { } key ? new AuthenticationHeaderValue("Bearer", key) : null;
    private readonly KeyValuePair<string, string>[] _headers = [.. options.Headers];
    private readonly bool _sendsCredentials = options.ApiKey is not null || RequestHeaderRules.HasAuthorization(options.Headers);

    public Uri BaseAddress => _baseAddress;

    /// <summary>Sends a request; returns the response for 2xx, 404 and 409 (whose meaning depends on the route), throws otherwise.</summary>
    public async Task<HttpResponseMessage> SendAsync<TBody>(HttpMethod method, string relativeUri, TBody body, JsonTypeInfo<TBody>? bodyType, string project, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_baseAddress, relativeUri));
        request.Headers.Authorization = _authorization;
        RequestHeaderRules.Apply(request.Headers, _headers);
        if (bodyType is not null)
        {
            request.Content = JsonContent.Create(body, bodyType);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Connection refused, DNS, TLS, attempt or total timeout, open circuit: the service is not there for us.
            throw new BudgetStoreUnavailableException($"The budget service at {_baseAddress} cannot be reached: {ex.Message}", ex);
        }

        if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            return response;
        }

        using (response)
        {
            ProblemDto? problem = await ReadProblemDtoAsync(response, cancellationToken).ConfigureAwait(false);
            string detail = problem?.Detail ?? problem?.Title ?? "no details";
            int status = (int)response.StatusCode;
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new UnauthorizedAccessException(
                    (_sendsCredentials
                        ? $"The budget service at {_baseAddress} did not accept the API key (401). "
                        : $"The budget service at {_baseAddress} needs an API key (401) and none was sent. ")
                    + $"Pass a key of project '{project}' as HostedBudgetStoreOptions.ApiKey (BudgetManagerOptions.ApiKey for a BudgetManager), "
                    + $"or set the {HostedBudgetStoreOptions.ApiKeyEnvironmentVariable} environment variable, which HostedBudgetStore.Create(Uri) and BudgetManager read when no key is passed."),
                HttpStatusCode.Forbidden => new UnauthorizedAccessException(
                    $"The budget service at {_baseAddress} refused {method} {relativeUri} for project '{project}' with this API key (403): {detail}"),
                // The service is there and answers, but its store lacks the feature (a spend ledger): no retry will help.
                HttpStatusCode.NotImplemented => new NotSupportedException(
                    $"The budget service at {_baseAddress} does not support {method} {relativeUri} (501): {detail}"),
                HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError => new BudgetStoreUnavailableException(
                    $"The budget service at {_baseAddress} answered {status} {response.ReasonPhrase}: {detail}"),
                HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity => new ArgumentException(
                    $"The budget service rejected the request ({status}): {detail}",
                    problem?.Errors?.Keys.FirstOrDefault()),
                _ => new InvalidOperationException($"The budget service at {_baseAddress} answered {status} {response.ReasonPhrase} to {method} {relativeUri}: {detail}"),
            };
        }
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string relativeUri, string project, CancellationToken cancellationToken) =>
        SendAsync<object?>(method, relativeUri, null, null, project, cancellationToken);

    public async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException("The body is null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException(
                $"The budget service at {_baseAddress} answered {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} with JSON this client cannot read: {ex.Message}",
                ex);
        }
    }

    public static async Task<ProblemDto?> ReadProblemDtoAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(WireJsonContext.Default.ProblemDto, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    public static string Escape(string value) => Uri.EscapeDataString(value);
}
