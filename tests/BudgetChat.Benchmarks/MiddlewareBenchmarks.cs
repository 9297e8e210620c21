using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;

namespace BudgetChat.Benchmarks;

/// <summary>
/// The cost <see cref="BudgetingChatClient"/> adds to one call: the bare inner client is the baseline of each
/// category, so Ratio and Alloc Ratio (and the differences in Mean and Allocated) are the middleware's share.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class MiddlewareBenchmarks
{
    private const string NonStreaming = "NonStreaming";
    private const string Streaming = "Streaming";

    private List<ChatMessage> _messages = null!;
    private ChatOptions _options = null!;
    private PrebuiltChatClient _inner = null!;
    private BudgetingChatClient _withTiktoken = null!;
    private BudgetingChatClient _withByteCount = null!;

    [GlobalSetup]
    public void Setup()
    {
        _messages =
        [
            new(ChatRole.System, "You are a concise assistant for a travel booking site. Answer in plain English."),
            new(ChatRole.User, "I am flying from Lisbon to Toronto next Thursday with two children and a stroller. "
                + "What should I know about checked baggage allowances, seat selection and arriving at the airport early enough?"),
        ];
        _options = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 256 }.WithBudgetUser("bench-user");

        // Providers answer with a dated model id; the price of the request's model still applies.
        const string responseModel = "gpt-4o-2024-08-06";
        var usage = new UsageDetails { InputTokenCount = 58, OutputTokenCount = 42, TotalTokenCount = 100 };
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Check your airline's allowance, pick seats together early, and arrive three hours before departure."))
        {
            ModelId = responseModel,
            Usage = usage,
        };
        ChatResponseUpdate[] updates =
        [
            new(ChatRole.Assistant, "Check your airline's allowance, ") { ModelId = responseModel },
            new(null, "pick seats together early, ") { ModelId = responseModel },
            new(null, "and arrive three hours before departure.") { ModelId = responseModel },
            new(null, [new UsageContent(usage)]) { ModelId = responseModel },
        ];
        _inner = new PrebuiltChatClient(response, updates);

        _withTiktoken = CreateBudgeted(new TiktokenTokenEstimator());
        _withByteCount = CreateBudgeted(new ByteCountTokenEstimator());

        // Load the tokenizer and price lookups before measuring.
        _withTiktoken.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _withByteCount.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withTiktoken.Dispose();
        _withByteCount.Dispose();
    }

    [BenchmarkCategory(NonStreaming), Benchmark(Baseline = true, Description = "Bare inner client")]
    public Task<ChatResponse> Bare() => _inner.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "Budgeted, Tiktoken estimator")]
    public Task<ChatResponse> Tiktoken() => _withTiktoken.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "Budgeted, ByteCount estimator")]
    public Task<ChatResponse> ByteCount() => _withByteCount.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(Streaming), Benchmark(Baseline = true, Description = "Bare inner client")]
    public ValueTask<int> BareStreaming() => Drain(_inner);

    [BenchmarkCategory(Streaming), Benchmark(Description = "Budgeted, Tiktoken estimator")]
    public ValueTask<int> TiktokenStreaming() => Drain(_withTiktoken);

    [BenchmarkCategory(Streaming), Benchmark(Description = "Budgeted, ByteCount estimator")]
    public ValueTask<int> ByteCountStreaming() => Drain(_withByteCount);

    private async ValueTask<int> Drain(IChatClient client)
    {
        int count = 0;
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(_messages, _options))
        {
            count += update.Contents.Count;
        }

        return count;
    }

    private BudgetingChatClient CreateBudgeted(ITokenEstimator estimator)
    {
        // The in-memory store keeps each reservation until it expires and each completed id for the retention
        // (10 minutes and 1 day by default), so millions of benchmark calls would grow the heap without bound.
        // One second of each keeps the live set bounded while the store still does its per-call cleanup.
        var store = new InMemoryBudgetStore(new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromSeconds(1) });
        var options = new BudgetingChatClientOptions { ReservationTimeout = TimeSpan.FromSeconds(1) };

        // A realistic limit that the run never exhausts (decimal.MaxValue / 2 would put every comparison on a rounding path no real budget takes).
        store.SetBudgetAsync(options.ProjectName, BudgetKeys.ForUser("bench-user"), new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        return new BudgetingChatClient(_inner, store, options, ModelPriceCatalog.CreateDefault(), estimator);
    }
}
