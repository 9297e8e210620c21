using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;

namespace BudgetChat.EndToEnd.Tests;

public sealed class ProviderErrorTests : EndToEndTest
{
    public static TheoryData<int, bool> Failures => new()
    {
        { 429, false },
        { 429, true },
        { 500, false },
        { 500, true },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task ProviderError_Rethrows_AndChargesNothing(int status, bool streaming)
    {
        Server.Enqueue(ProviderError(status));
        IChatClient client = CreateClient(); // the OpenAI client's retries off: one request

        ClientResultException failure = await Assert.ThrowsAsync<ClientResultException>(
            () => CallAsync(client, streaming, Prompt("Hello?"), ForUser()));

        Assert.Equal(status, failure.Status);
        Assert.Single(Server.Requests);
        await AssertChargedAsync(0m);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task ProviderErrorOnEveryRetry_Rethrows_AndChargesNothing(int status, bool streaming)
    {
        Server.Enqueue(ProviderError(status), ProviderError(status), ProviderError(status), ProviderError(status));
        IChatClient client = CreateClient(retryPolicy: new ImmediateRetryPolicy(maxRetries: 3));

        ClientResultException failure = await Assert.ThrowsAsync<ClientResultException>(
            () => CallAsync(client, streaming, Prompt("Hello?"), ForUser()));

        Assert.Equal(status, failure.Status);
        Assert.Equal(4, Server.Requests.Count);
        await AssertChargedAsync(0m);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task ProviderErrorThenSuccessOnRetry_ChargesTheSuccessfulAttemptOnce(int status, bool streaming)
    {
        var usage = new FakeUsage(40, 12);
        Server.Enqueue(ProviderError(status), ScriptedResponse.Answer(["Second ", "time lucky."], usage));
        IChatClient client = CreateClient(retryPolicy: new ImmediateRetryPolicy(maxRetries: 3));

        ChatResponse response = await CallAsync(client, streaming, Prompt("Hello?"), ForUser());

        // The OpenAI client retried inside one call of the middleware: one reservation, one charge.
        Assert.Equal("Second time lucky.", response.Text);
        Assert.Equal(2, Server.Requests.Count);
        await AssertChargedAsync(usage.CostAt(Prices.GetPrice(Model)));
    }

    private static ScriptedResponse ProviderError(int status) => status == 429
        ? ScriptedResponse.Error(429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini.")
        : ScriptedResponse.Error(status, "server_error", "server_error", "The server had an error while processing your request.");

    /// <summary>The OpenAI client's own retry rules (which failures, how many times), without its backoff delays.</summary>
    private sealed class ImmediateRetryPolicy(int maxRetries) : ClientRetryPolicy(maxRetries)
    {
        protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount) => TimeSpan.Zero;
    }
}
