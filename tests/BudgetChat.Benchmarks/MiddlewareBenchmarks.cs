using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;

namespace BudgetChat.Benchmarks;

/// <summary>
/// What <see cref="BudgetingChatClient"/> adds to one call that fits its budget, next to what two of
/// Microsoft.Extensions.AI's own middlewares add: <c>UseOpenTelemetry()</c> with an activity and a meter listener
/// attached, as in production, and <c>ConfigureOptions(...)</c>. The bare inner client is the baseline of each
/// category, so the difference in Mean and Allocated from it is a middleware's share.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class MiddlewareBenchmarks
{
    private const string NonStreaming = "NonStreaming";
    private const string Streaming = "Streaming";
    private const string TelemetrySource = "BudgetChat.Benchmarks";

    private List<ChatMessage> _messages = null!;
    private ChatOptions _options = null!;
    private PrebuiltChatClient _inner = null!;
    private BudgetingChatClient _budgeted = null!;
    private BudgetingChatClient _budgetedForgetting = null!;
    private BudgetingChatClient _budgetedPolicies = null!;
    private BudgetingChatClient _budgetedPoliciesForgetting = null!;
    private IChatClient _openTelemetry = null!;
    private IChatClient _configureOptions = null!;
    private ActivityListener _activityListener = null!;
    private MeterListener _meterListener = null!;

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

        // The in-memory store remembers each ended id for 10 minutes by default, so millions of benchmark calls would
        // grow the heap without bound; one second keeps a few hundred thousand ids live (about what 10 minutes of a
        // busy app keeps) while the store still does its cleanup. The middleware's options are the defaults.
        // The second client's store forgets ids after a millisecond: the difference between the two rows is what
        // remembering ids costs (the table's cache misses and the garbage collector's work), not the middleware.
        _budgeted = new BudgetingChatClient(_inner, NewStore(TimeSpan.FromSeconds(1)));
        _budgetedForgetting = new BudgetingChatClient(_inner, NewStore(TimeSpan.FromMilliseconds(1)));

        // The same user budget with three windows (a month and a day of dollars, a minute of tokens) and a per-model cap
        // that this call's model matches: what policies add over the single window of the defaults row.
        // Its "forgotten at once" twin compares with the defaults' twin without the garbage collector's share.
        var policies = new BudgetDefinition(
        [
            BudgetLimit.Dollars(1_000_000_000m, BudgetPeriod.Monthly),
            BudgetLimit.Dollars(100_000_000m, BudgetPeriod.Daily),
            BudgetLimit.Tokens(1_000_000_000_000, BudgetPeriod.Minutely),
            BudgetLimit.Dollars(1_000_000_000m, BudgetPeriod.Monthly).ForModels(["gpt-4o", "o3", "claude-opus-*"], "premium"),
        ]);
        _budgetedPolicies = new BudgetingChatClient(_inner, NewStore(TimeSpan.FromSeconds(1), policies));
        _budgetedPoliciesForgetting = new BudgetingChatClient(_inner, NewStore(TimeSpan.FromMilliseconds(1), policies));

        _openTelemetry = new ChatClientBuilder(_inner).UseOpenTelemetry(sourceName: TelemetrySource).Build();
        _configureOptions = new ChatClientBuilder(_inner).ConfigureOptions(o => o.Temperature = 0.2f).Build();

        // Listeners as an exporter attaches them: every activity recorded, every instrument of both meters measured.
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TelemetrySource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name is TelemetrySource or BudgetChatTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        _meterListener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        _meterListener.SetMeasurementEventCallback<int>(static (_, _, _, _) => { });
        _meterListener.Start();

        // The price lookups and first-call paths before measuring.
        _budgeted.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _budgetedForgetting.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _budgetedPolicies.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _budgetedPoliciesForgetting.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _openTelemetry.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
        _openTelemetry.Dispose();
        _configureOptions.Dispose();
        _budgeted.Dispose();
        _budgetedForgetting.Dispose();
        _budgetedPolicies.Dispose();
        _budgetedPoliciesForgetting.Dispose();
    }

    [BenchmarkCategory(NonStreaming), Benchmark(Baseline = true, Description = "Bare inner client")]
    public Task<ChatResponse> Bare() => _inner.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "UseBudget() (defaults)")]
    public Task<ChatResponse> Budgeted() => _budgeted.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "UseBudget(), ids forgotten at once")]
    public Task<ChatResponse> BudgetedForgetting() => _budgetedForgetting.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "UseBudget(), 3 windows + a model cap")]
    public Task<ChatResponse> BudgetedPolicies() => _budgetedPolicies.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "3 windows + a model cap, ids forgotten at once")]
    public Task<ChatResponse> BudgetedPoliciesForgetting() => _budgetedPoliciesForgetting.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "UseOpenTelemetry(), listened to")]
    public Task<ChatResponse> OpenTelemetry() => _openTelemetry.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(NonStreaming), Benchmark(Description = "ConfigureOptions(...)")]
    public Task<ChatResponse> ConfigureOptions() => _configureOptions.GetResponseAsync(_messages, _options);

    [BenchmarkCategory(Streaming), Benchmark(Baseline = true, Description = "Bare inner client")]
    public ValueTask<int> BareStreaming() => Drain(_inner);

    [BenchmarkCategory(Streaming), Benchmark(Description = "UseBudget() (defaults)")]
    public ValueTask<int> BudgetedStreaming() => Drain(_budgeted);

    [BenchmarkCategory(Streaming), Benchmark(Description = "UseBudget(), ids forgotten at once")]
    public ValueTask<int> BudgetedForgettingStreaming() => Drain(_budgetedForgetting);

    [BenchmarkCategory(Streaming), Benchmark(Description = "UseBudget(), 3 windows + a model cap")]
    public ValueTask<int> BudgetedPoliciesStreaming() => Drain(_budgetedPolicies);

    [BenchmarkCategory(Streaming), Benchmark(Description = "3 windows + a model cap, ids forgotten at once")]
    public ValueTask<int> BudgetedPoliciesForgettingStreaming() => Drain(_budgetedPoliciesForgetting);

    [BenchmarkCategory(Streaming), Benchmark(Description = "UseOpenTelemetry(), listened to")]
    public ValueTask<int> OpenTelemetryStreaming() => Drain(_openTelemetry);

    [BenchmarkCategory(Streaming), Benchmark(Description = "ConfigureOptions(...)")]
    public ValueTask<int> ConfigureOptionsStreaming() => Drain(_configureOptions);

    private static InMemoryBudgetStore NewStore(TimeSpan completedIdRetention, BudgetDefinition? definition = null)
    {
        var store = new InMemoryBudgetStore(new BudgetStoreOptions { CompletedIdRetention = completedIdRetention });
        store.SetBudgetAsync(BudgetingChatClientOptions.DefaultProjectName, BudgetKeys.ForUser("bench-user"), definition ?? new BudgetDefinition(1_000_000_000m)).AsTask().GetAwaiter().GetResult();
        return store;
    }

    private async ValueTask<int> Drain(IChatClient client)
    {
        int count = 0;
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(_messages, _options))
        {
            count += update.Contents.Count;
        }

        return count;
    }
}
