using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;

namespace BudgetChat.EndToEnd.Tests;

/// <summary>
/// The real OpenAI .NET client (<c>AsIChatClient()</c>) under <c>UseBudget()</c>, pointed at a <see cref="FakeOpenAIServer"/>,
/// with the real <see cref="InMemoryBudgetStore"/>, the built-in price catalog and the tiktoken estimator.
/// </summary>
public abstract class EndToEndTest : IAsyncLifetime
{
    protected const string UserId = "alice";
    protected const decimal UserLimit = 1m;
    protected const decimal GlobalLimit = 10m;
    protected const string Project = BudgetingChatClientOptions.DefaultProjectName;

    /// <summary>A model whose price, cache-read price and maximum output the built-in catalog lists.</summary>
    protected const string Model = "gpt-4o-mini";

    private readonly ServiceProvider _services;
    private readonly List<IChatClient> _clients = [];

    protected EndToEndTest()
    {
        _services = new ServiceCollection().AddSingleton(Prices).AddSingleton<ITokenEstimator>(Estimator).BuildServiceProvider();
    }

    protected FakeOpenAIServer Server { get; private set; } = null!;

    protected InMemoryBudgetStore Store { get; } = new();

    protected ModelPriceCatalog Prices { get; } = ModelPriceCatalog.CreateDefault();

    // Thread-safe, and building its vocabulary takes a while: one for all tests.
    protected TiktokenTokenEstimator Estimator { get; } = SharedEstimator;

    private static TiktokenTokenEstimator SharedEstimator { get; } = new();

    public static TheoryData<bool> Streaming => new() { false, true };

    public async Task InitializeAsync() => Server = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (IChatClient client in _clients)
        {
            client.Dispose();
        }

        await _services.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>
    /// The pipeline under test: OpenAI's client, <c>UseBudget</c> closest to it, and optionally <c>UseFunctionInvocation</c>
    /// outside. The OpenAI client's own retries are off unless <paramref name="retryPolicy"/> says otherwise (its default
    /// is 3 retries of 408/429/5xx and network failures, with exponential backoff from 0.8 s).
    /// </summary>
    protected IChatClient CreateClient(string model = Model, PipelinePolicy? retryPolicy = null, bool invokeFunctions = false, PipelinePolicy? perTryPolicy = null, Func<IChatClient, IChatClient>? belowBudget = null)
    {
        var openAIOptions = new OpenAIClientOptions
        {
            Endpoint = Server.Endpoint,
            RetryPolicy = retryPolicy ?? new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromMinutes(2),
        };
        if (perTryPolicy is not null)
        {
            openAIOptions.AddPolicy(perTryPolicy, PipelinePosition.PerTry);
        }

        var openAI = new OpenAIClient(new ApiKeyCredential("sk-e2e-dummy-key"), openAIOptions);

        var builder = new ChatClientBuilder(openAI.GetChatClient(model).AsIChatClient());
        if (invokeFunctions)
        {
            builder.UseFunctionInvocation();
        }

        builder.UseBudget(Store, options =>
        {
            options.MaxBudget = GlobalLimit;
            options.DefaultUserBudget = new BudgetDefinition(UserLimit);
        });
        if (belowBudget is not null)
        {
            builder.Use(belowBudget);
        }

        IChatClient client = builder.Build(_services);
        _clients.Add(client);
        return client;
    }

    protected static ChatOptions ForUser() => new ChatOptions().WithBudgetUser(UserId);

    protected static List<ChatMessage> Prompt(string text) => [new(ChatRole.User, text)];

    protected static Task<ChatResponse> CallAsync(IChatClient client, bool streaming, IList<ChatMessage> messages, ChatOptions options) =>
        streaming
            ? client.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()
            : client.GetResponseAsync(messages, options);

    /// <summary>
    /// The middleware's documented charge when no usage is reported: the input it counted (messages, options, framing)
    /// at the input price plus the tokens of the text received at the output price.
    /// </summary>
    protected decimal EstimateWithoutUsage(string model, IEnumerable<ChatMessage> messages, ChatOptions options, string received)
    {
        ModelPrice price = Prices.GetPrice(model);
        int input = Estimator.CountInputTokens(messages, options, model);
        int output = received.Length == 0 ? 0 : Estimator.CountTokens(received, model);
        return (input * price.InputCostPerToken) + (output * price.OutputCostPerToken);
    }

    /// <summary>The user and the global budget were charged exactly <paramref name="expected"/>, and nothing is held.</summary>
    protected async Task AssertChargedAsync(decimal expected)
    {
        BudgetState user = (await Store.GetBudgetAsync(Project, BudgetKeys.ForUser(UserId)))!;
        BudgetState global = (await Store.GetBudgetAsync(Project, BudgetKeys.Global))!;
        Assert.Equal(expected, user.Spent);
        Assert.Equal(expected, global.Spent);
        await AssertNothingHeldAsync();
    }

    protected async Task AssertNothingHeldAsync()
    {
        IReadOnlyList<BudgetState> budgets = await Store.ListBudgetsAsync(Project);
        Assert.NotEmpty(budgets);
        foreach (BudgetState budget in budgets)
        {
            Assert.True(budget.Reserved == 0m, $"Budget '{budget.Key}' still holds {budget.Reserved}.");
        }
    }

    /// <summary>Our own <c>ChatOptions.AdditionalProperties</c> key never reaches the provider.</summary>
    protected void AssertNoBudgetKeysSent()
    {
        Assert.NotEmpty(Server.Requests);
        foreach (RecordedRequest request in Server.Requests)
        {
            Assert.False(request.HasPropertyNamed(ChatOptionsBudgetExtensions.UserIdKey), $"Request sent our key: {request.Body}");
            Assert.DoesNotContain("budgetchat", request.Body, StringComparison.OrdinalIgnoreCase);
        }
    }
}
