using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat;

/// <summary>A chat client that keeps every call within budgets: per user, global, and any keys a resolver adds.</summary>
/// <remarks>
/// <para>For each call it:</para>
/// <list type="number">
/// <item><description>finds who pays: the user from <see cref="ChatOptions"/>, the global budget, and resolved keys;</description></item>
/// <item><description>estimates the worst case: input tokens counted by the tokenizer, plus <see cref="ChatOptions.MaxOutputTokens"/>
/// (else the model's maximum, else <see cref="BudgetingChatClientOptions.MaxOutputTokensCap"/>) at the output price;</description></item>
/// <item><description>reserves it on every key at once; when it does not fit, lowers <c>MaxOutputTokens</c> on a copy of the options
/// so it does, or throws <see cref="BudgetExceededException"/> without calling the model;</description></item>
/// <item><description>calls the inner client;</description></item>
/// <item><description>settles to the real cost from <see cref="ChatResponse.Usage"/> or the streamed <see cref="UsageContent"/>, or,
/// when the provider reports none, to an estimate from the input and the text received (logged); when the inner
/// client fails before producing anything, or the call is cancelled, it releases the reservation and charges nothing.</description></item>
/// </list>
/// <para>The caller's <see cref="ChatOptions"/> are never changed. This type is thread-safe.</para>
/// </remarks>
public sealed partial class BudgetingChatClient : DelegatingChatClient
{
    private readonly IBudgetStore _store;
    private readonly ModelPriceCatalog _prices;
    private readonly ITokenEstimator _estimator;
    private readonly BudgetingChatClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly BudgetChatMetrics _metrics;
    private readonly string? _innerDefaultModelId;
    private readonly BudgetDefinition? _globalBudget;
    private readonly KeyValuePair<string, object?> _projectTag;
    private readonly BudgetAlertPublisher _alerts;

    // Reservation ids: a random number per client and a counter, unique without a system call per request.
    private readonly ulong _idSource = (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
    private long _idCounter;
    private Task? _globalBudgetReady;
    private string[]? _lastUserKeys;

    /// <summary>Initializes a new instance of the <see cref="BudgetingChatClient"/> class.</summary>
    /// <param name="innerClient">The client that calls the model.</param>
    /// <param name="store">Where budgets are kept.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults. They are copied: later changes have no effect.</param>
    /// <param name="prices">The model prices, or <see langword="null"/> for <see cref="ModelPriceCatalog.CreateDefault"/>.</param>
    /// <param name="tokenEstimator">Counts input tokens, or <see langword="null"/> for a <see cref="TiktokenTokenEstimator"/>.</param>
    /// <param name="loggerFactory">Creates the logger, or <see langword="null"/> for no logging.</param>
    /// <param name="timeProvider">The clock for reservation expiry, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="meterFactory">Creates the <c>BudgetChat</c> meter, or <see langword="null"/> to create it directly.</param>
    /// <param name="alertSinks">Receive the budget alerts charges raise, or <see langword="null"/> to log them.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public BudgetingChatClient(
        IChatClient innerClient,
        IBudgetStore store,
        BudgetingChatClientOptions? options = null,
        ModelPriceCatalog? prices = null,
        ITokenEstimator? tokenEstimator = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        IEnumerable<IBudgetAlertSink>? alertSinks = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options?.Clone() ?? new BudgetingChatClientOptions();
        _options.Validate();
        _store = store;
        _prices = prices ?? ModelPriceCatalog.CreateDefault();
        _estimator = tokenEstimator ?? new TiktokenTokenEstimator();
        _logger = (ILogger?)loggerFactory?.CreateLogger<BudgetingChatClient>() ?? NullLogger.Instance;
        // Reservation expiry is minutes away: with the system clock, a cheaper reading of it will do.
        _timeProvider = CoarseUtcClock.For(timeProvider ?? TimeProvider.System);
        _metrics = new BudgetChatMetrics(meterFactory);
        _innerDefaultModelId = innerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
        _globalBudget = _options.MaxBudget is { } max ? new BudgetDefinition(max, _options.GlobalBudgetPeriod) : null;
        _projectTag = new("budgetchat.project", _options.ProjectName);
        _alerts = new BudgetAlertPublisher(
            alertSinks ?? [new LoggingBudgetAlertSink(loggerFactory?.CreateLogger<LoggingBudgetAlertSink>())],
            _logger);
    }

    /// <summary>Gets the project this client's budget keys are scoped to.</summary>
    public string ProjectName => _options.ProjectName;

    /// <inheritdoc/>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Where the store and the provider answer at once, no state machine runs and the provider's own task is
        // returned; anything that has to wait, or fails, continues in RespondSlowAsync exactly as if it had run there.
        ValueTask<Admission> admitting;
        try
        {
            ArgumentNullException.ThrowIfNull(messages);
            admitting = AdmitAsync(messages, options, cancellationToken);
        }
        catch (Exception ex)
        {
            return RespondSlowAsync(messages, ValueTask.FromException<Admission>(ex), null, cancellationToken);
        }

        if (!admitting.IsCompletedSuccessfully)
        {
            return RespondSlowAsync(messages, admitting, null, cancellationToken);
        }

        Admission admission = admitting.Result;
        Task<ChatResponse> responding;
        try
        {
            responding = base.GetResponseAsync(messages, admission.Options, cancellationToken);
        }
        catch (Exception ex)
        {
            responding = Task.FromException<ChatResponse>(ex);
        }

        if (!responding.IsCompletedSuccessfully)
        {
            return RespondSlowAsync(messages, new ValueTask<Admission>(admission), responding, cancellationToken);
        }

        ChatResponse response = responding.Result;
        ValueTask settling;
        try
        {
            settling = SettleResponseAsync(admission, response);
        }
        catch (Exception ex)
        {
            settling = ValueTask.FromException(ex);
        }

        if (!settling.IsCompletedSuccessfully)
        {
            return SettledAsync(settling, response);
        }

        settling.GetAwaiter().GetResult();
        return responding;
    }

    // responding: the provider's task when it was already called.
    private async Task<ChatResponse> RespondSlowAsync(IEnumerable<ChatMessage> messages, ValueTask<Admission> admitting, Task<ChatResponse>? responding, CancellationToken cancellationToken)
    {
        Admission admission = await admitting.ConfigureAwait(false);

        ChatResponse response;
        try
        {
            response = await (responding ?? base.GetResponseAsync(messages, admission.Options, cancellationToken)).ConfigureAwait(false);
        }
        catch
        {
            await ReleaseAsync(admission).ConfigureAwait(false);
            throw;
        }

        await SettleResponseAsync(admission, response).ConfigureAwait(false);
        return response;
    }

    private static async Task<ChatResponse> SettledAsync(ValueTask settling, ChatResponse response)
    {
        await settling.ConfigureAwait(false);
        return response;
    }

    private ValueTask SettleResponseAsync(Admission admission, ChatResponse response)
    {
        int receivedTokens = response.Usage.HasTokenCounts() ? 0 : CountTokens(response.Text, response.ModelId ?? admission.ModelId);
        return SettleAsync(admission, response.Usage, response.ModelId, receivedTokens, UsageMissingReason.NotReported);
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null)
        {
            if (serviceType == typeof(IBudgetStore))
            {
                return _store;
            }

            if (serviceType == typeof(ModelPriceCatalog))
            {
                return _prices;
            }
        }

        return base.GetService(serviceType, serviceKey);
    }

    /// <summary>Gets what the global budget has spent in its current window (LiteLLM's <c>litellm._current_cost</c>).</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The spend in US dollars; zero when there is no global budget yet.</returns>
    public async ValueTask<decimal> GetGlobalSpendAsync(CancellationToken cancellationToken = default) =>
        (await _store.GetBudgetAsync(_options.ProjectName, BudgetKeys.Global, cancellationToken).ConfigureAwait(false))?.Spent ?? 0m;

    /// <summary>Gets a budget of this client's project.</summary>
    /// <param name="key">The key, for example <see cref="BudgetKeys.Global"/> or <see cref="BudgetKeys.ForUser"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget, or <see langword="null"/> when the key has none.</returns>
    public ValueTask<BudgetState?> GetBudgetAsync(string key, CancellationToken cancellationToken = default) =>
        _store.GetBudgetAsync(_options.ProjectName, key, cancellationToken);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _metrics.Dispose();
        }

        base.Dispose(disposing);
    }

    // Completes synchronously when the store does and the reservation fits as asked: no state machine on the common path.
    private ValueTask<Admission> AdmitAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        string[] keys = ResolveKeys(messages, options);

        string modelId = options?.ModelId ?? _innerDefaultModelId ?? _options.DefaultModelId ?? throw ModelPriceNotFoundException.ForModel(null);
        ModelPrice price = _prices.GetPrice(modelId);
        int inputTokens = _estimator.CountInputTokens(messages, options, modelId);
        int outputTokens = options?.MaxOutputTokens ?? price.MaxOutputTokens ?? _options.MaxOutputTokensCap;
        bool limitOutput = options?.MaxOutputTokens is null && price.MaxOutputTokens is null;

        // Reasoning tokens are output too; where they cost more, the worst case is all output at that price.
        decimal worstCase = price.GetWorstCaseCost(inputTokens, outputTokens);
        var admission = new Admission(NewReservationId(), keys, modelId, price, inputTokens, worstCase, options)
        {
            HoldsReservation = _options.Mode == BudgetEnforcementMode.Reservation,
        };
        var quote = new Quote(outputTokens, limitOutput);

        if (_options.Mode == BudgetEnforcementMode.CheckThenCharge || (_globalBudget is not null && _globalBudgetReady?.IsCompletedSuccessfully != true))
        {
            return AdmitSlowAsync(admission, quote, null, cancellationToken);
        }

        ValueTask<BudgetReservationResult> first;
        try
        {
            first = ReserveOnceAsync(admission, cancellationToken);
        }
        catch (BudgetStoreUnavailableException ex)
        {
            return ValueTask.FromResult(FailOpenOrThrow(admission, ex));
        }

        if (!first.IsCompletedSuccessfully)
        {
            return AdmitSlowAsync(admission, quote, first, cancellationToken);
        }

        // A ValueTask is read once: the slow path gets a new one holding the result, not the store's again.
        BudgetReservationResult result = first.Result;
        if (result.IsReserved)
        {
            return ValueTask.FromResult(Reserved(admission, quote, reduced: false));
        }

#pragma warning disable CA2012 // A completed ValueTask made here from a value and consumed once, by AdmitSlowAsync.
        return AdmitSlowAsync(admission, quote, ValueTask.FromResult(result), cancellationToken);
#pragma warning restore CA2012
    }

    // firstAttempt: a reservation already asked of the store and not yet known to have succeeded.
    private async ValueTask<Admission> AdmitSlowAsync(Admission admission, Quote quote, ValueTask<BudgetReservationResult>? firstAttempt, CancellationToken cancellationToken)
    {
        try
        {
            if (firstAttempt is null && _globalBudget is not null)
            {
                await EnsureGlobalBudgetAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_options.Mode == BudgetEnforcementMode.CheckThenCharge)
            {
                await CheckAsync(admission, cancellationToken).ConfigureAwait(false);
                return admission;
            }

            return await ReserveAsync(admission, quote, firstAttempt, cancellationToken).ConfigureAwait(false);
        }
        catch (BudgetStoreUnavailableException ex)
        {
            return FailOpenOrThrow(admission, ex);
        }
    }

    private Admission FailOpenOrThrow(Admission admission, BudgetStoreUnavailableException ex)
    {
        if (_options.StoreFailureMode == BudgetStoreFailureMode.FailOpen)
        {
            _metrics.Reservations.Add(1, new("budgetchat.outcome", "unbudgeted"), _projectTag);
            Log.FailedOpen(_logger, _options.ProjectName, ex);
            admission.HoldsReservation = false;
            return admission;
        }

        throw Refused(
            new BudgetStoreUnavailableException(
                $"The call was refused and the model was not called because the budget store cannot be reached (BudgetingChatClientOptions.StoreFailureMode is FailClosed). {ex.Message}",
                ex),
            "store_unavailable");
    }

    private ValueTask<BudgetReservationResult> ReserveOnceAsync(Admission admission, CancellationToken cancellationToken) =>
        _store.ReserveAsync(_options.ProjectName, admission.Keys, admission.Amount, admission.ReservationId, _timeProvider.GetUtcNow() + _options.ReservationTimeout, cancellationToken);

    private async ValueTask<Admission> ReserveAsync(Admission admission, Quote quote, ValueTask<BudgetReservationResult>? firstAttempt, CancellationToken cancellationToken)
    {
        int outputTokens = quote.OutputTokens;
        decimal inputCost = admission.Price.GetCost(admission.InputTokens, 0);
        decimal outputPrice = admission.Price.MaxOutputCostPerToken;
        bool createdUser = false;
        bool reduced = false;
        BudgetState? refusing = null;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            BudgetReservationResult result = attempt == 0 && firstAttempt is { } first
                ? await first.ConfigureAwait(false)
                : await ReserveOnceAsync(admission, cancellationToken).ConfigureAwait(false);

            if (result.IsReserved)
            {
                return Reserved(admission, quote with { OutputTokens = outputTokens }, reduced);
            }

            if (result.Status == BudgetReservationStatus.BudgetNotFound)
            {
                if (createdUser || await TryCreateUserBudgetAsync(result.Key!, cancellationToken).ConfigureAwait(false) is null)
                {
                    throw Refused(MissingBudget(result.Key!), "not_found");
                }

                createdUser = true;
                continue;
            }

            refusing = result.Budget!;
            decimal affordable = outputPrice == 0m ? decimal.MaxValue : decimal.Floor((refusing.Remaining - inputCost) / outputPrice);
            if (!_options.ReduceMaxOutputTokensToFit || affordable < _options.MinimumOutputTokens || affordable >= outputTokens)
            {
                break;
            }

            Log.Reduced(_logger, refusing.Key, outputTokens, (int)affordable);
            outputTokens = (int)affordable;
            admission.Amount = admission.Price.GetWorstCaseCost(admission.InputTokens, outputTokens);
            reduced = true;
        }

        throw Refused(new BudgetExceededException(refusing!, admission.Amount), "refused");
    }

    // The reservation holds: the model is asked for no more output than was reserved for.
    private Admission Reserved(Admission admission, Quote quote, bool reduced)
    {
        if (_metrics.Reservations.Enabled)
        {
            _metrics.Reservations.Add(1, new("budgetchat.outcome", reduced ? "reduced" : "reserved"), _projectTag);
        }

        if (reduced || quote.LimitOutput)
        {
            ChatOptions sent = admission.Options?.Clone() ?? new ChatOptions();
            sent.MaxOutputTokens = quote.OutputTokens;
            admission.Options = sent;
        }

        return admission;
    }

    private string[] ResolveKeys(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        string? userId = BudgetCallKeys.ResolveUser(options.GetBudgetUser(), _options, messages, options);
        if (userId is null && _options.RequireUser)
        {
            throw new InvalidOperationException(
                "This chat client requires a user for every call (BudgetingChatClientOptions.RequireUser) and the call names none. Set one with ChatOptions.WithBudgetUser(userId).");
        }

        // Without a keys resolver a call's keys follow from its user alone, so the last user's are used again (they
        // are never changed: stores take them read-only).
        bool byUserAlone = _options.AdditionalKeysResolver is null && userId is not null;
        if (byUserAlone && _lastUserKeys is { } last && IsKeyOf(last[0], userId!))
        {
            return last;
        }

        string[] keys = BudgetCallKeys.Resolve(userId, _globalBudget is not null, _options, messages, options, strict: true);
        if (byUserAlone)
        {
            _lastUserKeys = keys;
        }

        return keys.Length > 0 ? keys : throw NoBudget();

        static bool IsKeyOf(string userKey, string userId) =>
            userKey.Length == BudgetKeys.UserPrefix.Length + userId.Length && userKey.AsSpan(BudgetKeys.UserPrefix.Length).SequenceEqual(userId);

        static InvalidOperationException NoBudget() => new(
            "The call names no user and the client has no global budget, so there is no budget to charge it to. Set a user with ChatOptions.WithBudgetUser(userId), or set BudgetingChatClientOptions.MaxBudget.");
    }

    private async ValueTask CheckAsync(Admission admission, CancellationToken cancellationToken)
    {
        foreach (string key in admission.Keys)
        {
            BudgetState budget = await _store.GetBudgetAsync(_options.ProjectName, key, cancellationToken).ConfigureAwait(false)
                ?? await TryCreateUserBudgetAsync(key, cancellationToken).ConfigureAwait(false)
                ?? throw Refused(MissingBudget(key), "not_found");
            if (budget.Spent >= budget.Limit)
            {
                throw Refused(new BudgetExceededException(budget, admission.Amount), "refused");
            }
        }

        _metrics.Reservations.Add(1, new("budgetchat.outcome", "checked"), _projectTag);
    }

    private Exception Refused(Exception exception, string outcome)
    {
        _metrics.Reservations.Add(1, new("budgetchat.outcome", outcome), _projectTag);
        Log.Refused(_logger, exception.Message);
        return exception;
    }

    private BudgetNotFoundException MissingBudget(string key)
    {
        string message = key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal)
            ? $"No budget exists for user '{key[BudgetKeys.UserPrefix.Length..]}' (key '{key}') in project '{_options.ProjectName}'. Create one before the call with IBudgetStore.SetBudgetAsync (or BudgetManager.CreateBudgetAsync), or set BudgetingChatClientOptions.DefaultUserBudget to create one on first use."
            : $"No budget exists for key '{key}' in project '{_options.ProjectName}'. Create it with IBudgetStore.SetBudgetAsync before charging calls to it.";
        return new BudgetNotFoundException(_options.ProjectName, key, message);
    }

    private async ValueTask<BudgetState?> TryCreateUserBudgetAsync(string key, CancellationToken cancellationToken)
    {
        if (_options.DefaultUserBudget is not { } definition || !key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        BudgetState budget = await _store.GetOrCreateBudgetAsync(_options.ProjectName, key, definition, cancellationToken).ConfigureAwait(false);
        Log.UserBudgetReady(_logger, key, budget.Limit);
        return budget;
    }

    private Task EnsureGlobalBudgetAsync(CancellationToken cancellationToken)
    {
        // Set once per client (the options say what the global limit is); a failed attempt is retried by the next call.
        Task? ready = _globalBudgetReady;
        if (ready is null || ready.IsFaulted || ready.IsCanceled)
        {
            ready = _store.SetBudgetAsync(_options.ProjectName, BudgetKeys.Global, _globalBudget!, createdAt: null, CancellationToken.None).AsTask();
            _globalBudgetReady = ready;
        }

        return ready.IsCompletedSuccessfully ? Task.CompletedTask : ready.WaitAsync(cancellationToken);
    }

    // The provider's objects are never changed: a second usage report is added into a new one.
    private static UsageDetails Sum(UsageDetails first, UsageDetails second)
    {
        var sum = new UsageDetails();
        sum.Add(first);
        sum.Add(second);
        return sum;
    }

    private int CountTokens(string? text, string modelId) => string.IsNullOrEmpty(text) ? 0 : _estimator.CountTokens(text, modelId);

    private string NewReservationId() => ReservationIds.Create(_idSource, (ulong)Interlocked.Increment(ref _idCounter));

    // receivedOutputTokens: the tokens of the text received, charged when the provider reported no usage. Completes
    // synchronously when the store does and there are no alerts to publish.
    private ValueTask SettleAsync(Admission admission, UsageDetails? usage, string? responseModelId, int receivedOutputTokens, UsageMissingReason reason)
    {
        string modelId = responseModelId ?? admission.ModelId;

        // A response may name a dated variant with a price of its own; otherwise the request's price applies.
        ModelPrice price = responseModelId is not null && !string.Equals(responseModelId, admission.ModelId, StringComparison.OrdinalIgnoreCase)
            && _prices.TryGetPrice(responseModelId, out ModelPrice? responsePrice) ? responsePrice : admission.Price;

        decimal cost;
        if (usage.HasTokenCounts())
        {
            cost = price.GetCost(usage);
        }
        else
        {
            // No usage: charge the counted input and the text received, so a silent provider is never free.
            int outputTokens = receivedOutputTokens;
            cost = price.GetCost(admission.InputTokens, outputTokens);
            _metrics.UsageMissing.Add(1, _projectTag);
            Log.UsageMissing(_logger, modelId, reason, admission.InputTokens, outputTokens, cost);
        }

        ValueTask<BudgetCompletion> pending;
        try
        {
            pending = admission.HoldsReservation
                ? _store.SettleAsync(_options.ProjectName, admission.ReservationId, cost, modelId, CancellationToken.None)
                : _store.ChargeAsync(_options.ProjectName, admission.Keys, cost, modelId, admission.ReservationId, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CompletionFailed(admission, cost, ex);
            return default;
        }

        return pending.IsCompletedSuccessfully
            ? Settled(admission, modelId, cost, pending.Result)
            : SettleSlowAsync(admission, modelId, cost, pending);
    }

    private async ValueTask SettleSlowAsync(Admission admission, string modelId, decimal cost, ValueTask<BudgetCompletion> pending)
    {
        BudgetCompletion completion;
        try
        {
            completion = await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The model has answered and its cost is incurred; losing the answer too would not help the caller.
            CompletionFailed(admission, cost, ex);
            return;
        }

        await Settled(admission, modelId, cost, completion).ConfigureAwait(false);
    }

    private void CompletionFailed(Admission admission, decimal cost, Exception exception)
    {
        if (admission.HoldsReservation)
        {
            Log.SettleFailed(_logger, admission.ReservationId, cost, exception);
        }
        else
        {
            Log.ChargeFailed(_logger, admission.ReservationId, cost, exception);
        }
    }

    private ValueTask Settled(Admission admission, string modelId, decimal cost, BudgetCompletion completion)
    {
        if (completion.Status == BudgetCompletionStatus.NotFound)
        {
            Log.SettleFailed(_logger, admission.ReservationId, cost, null);
            return default;
        }

        if (_metrics.Spend.Enabled)
        {
            _metrics.Spend.Add((double)cost, new("budgetchat.model", modelId), _projectTag);
        }

        if (_metrics.EstimateError.Enabled && admission.HoldsReservation)
        {
            _metrics.EstimateError.Record((double)(admission.Amount - cost), _projectTag);
        }

        Log.Settled(_logger, admission.ReservationId, modelId, cost, admission.Amount);
        return completion.Alerts.Count > 0 ? _alerts.PublishAsync(completion.Alerts) : default;
    }

    private async ValueTask ReleaseAsync(Admission admission)
    {
        if (!admission.HoldsReservation)
        {
            return;
        }

        try
        {
            await _store.ReleaseAsync(_options.ProjectName, admission.ReservationId, CancellationToken.None).ConfigureAwait(false);
            Log.Released(_logger, admission.ReservationId);
        }
        catch (Exception ex)
        {
            // The reservation expires and is reclaimed by the store; the caller's own exception matters more.
            Log.ReleaseFailed(_logger, admission.ReservationId, ex);
        }
    }

    // The output the worst case allows for, and whether the model must be told of the limit.
    private readonly record struct Quote(int OutputTokens, bool LimitOutput);

    private sealed class Admission(string reservationId, string[] keys, string modelId, ModelPrice price, int inputTokens, decimal amount, ChatOptions? options)
    {
        public string[] Keys { get; } = keys;

        public string ModelId { get; } = modelId;

        public ModelPrice Price { get; } = price;

        public int InputTokens { get; } = inputTokens;

        public decimal Amount { get; set; } = amount;

        public ChatOptions? Options { get; set; } = options;

        public string ReservationId { get; } = reservationId;

        // Whether the store holds a reservation under ReservationId to settle or release: not in check-then-charge mode,
        // nor when the call was admitted without one because the store could not be reached (fail open). Such a call
        // is charged with ChargeAsync instead.
        public bool HoldsReservation { get; set; }
    }
}
