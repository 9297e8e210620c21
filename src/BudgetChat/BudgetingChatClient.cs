using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat;

/// <summary>A chat client that keeps every call within budgets: per user, global, and any keys a resolver adds.</summary>
/// <remarks>
/// <para>For each call it:</para>
/// <list type="number">
/// <item><description>finds who pays: the user from <see cref="ChatOptions"/>, the global budget, and resolved keys;</description></item>
/// <item><description>estimates the worst case: the input, plus <see cref="ChatOptions.MaxOutputTokens"/> (else the model's
/// maximum, else <see cref="BudgetingChatClientOptions.MaxOutputTokensCap"/>) at the output price. With the default
/// <see cref="TiktokenTokenEstimator"/> the input is first bounded by its UTF-8 length, which is never below its token
/// count; the tokenizer counts it only when that bound does not fit the budget;</description></item>
/// <item><description>reserves it on every key at once (a <see cref="BudgetLease"/>); when it does not fit, lowers
/// <c>MaxOutputTokens</c> on a copy of the options so it does, or throws <see cref="BudgetExceededException"/> without
/// calling the model;</description></item>
/// <item><description>calls the inner client, with options that no longer carry <see cref="ChatOptionsBudgetExtensions.UserIdKey"/>;</description></item>
/// <item><description>settles to the real cost from <see cref="ChatResponse.Usage"/> or the streamed <see cref="UsageContent"/>, or,
/// when the provider reports none, to the counted input and the text received (logged); when the inner
/// client fails before producing anything, or the call is cancelled, it releases the reservation and charges nothing.</description></item>
/// </list>
/// <para>The caller's <see cref="ChatOptions"/> are never changed. This type is thread-safe.</para>
/// </remarks>
public sealed partial class BudgetingChatClient : DelegatingChatClient
{
    private readonly IBudgetStore _store;
    private readonly ModelPriceCatalog _prices;
    private readonly ITokenEstimator _estimator;
    private readonly ITokenEstimator? _inputBound;
    private readonly BudgetingChatClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly BudgetChatMetrics _metrics;
    private readonly string? _innerDefaultModelId;
    private readonly BudgetDefinition? _globalBudget;
    private readonly BudgetDefinition? _userBudget;
    private readonly KeyValuePair<string, object?> _projectTag;
    private readonly BudgetAlertPublisher _alerts;
    private readonly LeaseKeeper _keeper;
    private readonly BudgetOutbox _outbox;
    private readonly bool _ownsOutbox;

    // Ids: 64 random bits per client (11 base64url characters), then a counter in hex, so that one call does not cost
    // the system call a new Guid does and the id stays short (it is kept for every call until the store forgets it).
    private readonly string _idPrefix = NewIdPrefix();
    private long _idCounter;
    private Task? _globalBudgetReady;
    private string[]? _lastUserKeys;

    // The store's spend ledger, when it keeps one and the options record calls.
    private readonly IBudgetSpendLog? _spendLog;

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
    /// <param name="outbox">
    /// Keeps the costs the store could not record and retries them (the one <c>AddBudgetChat</c> registers), or
    /// <see langword="null"/> for an outbox of this client's own, kept in memory and disposed with the client.
    /// </param>
    /// <exception cref="ArgumentException">An option is invalid, or <paramref name="outbox"/> sends to another store.</exception>
    public BudgetingChatClient(
        IChatClient innerClient,
        IBudgetStore store,
        BudgetingChatClientOptions? options = null,
        ModelPriceCatalog? prices = null,
        ITokenEstimator? tokenEstimator = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        IEnumerable<IBudgetAlertSink>? alertSinks = null,
        BudgetOutbox? outbox = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (outbox is not null && !ReferenceEquals(outbox.Store, store))
        {
            throw new ArgumentException("The outbox sends its entries to another store than this client's.", nameof(outbox));
        }

        _options = options?.Clone() ?? new BudgetingChatClientOptions();
        _options.Validate();
        _store = store;
        _prices = prices ?? ModelPriceCatalog.CreateDefault();
        _estimator = tokenEstimator ?? new TiktokenTokenEstimator();
        _inputBound = (_estimator as TiktokenTokenEstimator)?.UpperBound;
        _logger = (ILogger?)loggerFactory?.CreateLogger<BudgetingChatClient>() ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _metrics = new BudgetChatMetrics(meterFactory);
        _innerDefaultModelId = innerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
        _globalBudget = _options.GetGlobalBudget();
        _userBudget = _options.GetUserBudget();
        _projectTag = new("budgetchat.project", _options.ProjectName);
        _alerts = new BudgetAlertPublisher(
            alertSinks ?? [new LoggingBudgetAlertSink(loggerFactory?.CreateLogger<LoggingBudgetAlertSink>())],
            _logger);
        _keeper = new LeaseKeeper(_options.ReservationTimeout, _timeProvider, _logger, AbandonAsync);
        _spendLog = _options.RecordSpend ? store as IBudgetSpendLog : null;
        _ownsOutbox = outbox is null;
        _outbox = outbox ?? new BudgetOutbox(store, null, null, loggerFactory, _timeProvider, meterFactory, alertSinks);
    }

    /// <summary>Gets the project this client's budget keys are scoped to.</summary>
    public string ProjectName => _options.ProjectName;

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Admission admission = await AdmitAsync(messages, options, cancellationToken).ConfigureAwait(false);

        ChatResponse response;
        try
        {
            ChatOptions? sent = OptionsToSend(options, admission);
            response = admission.Client is { } client
                ? await client.GetResponseAsync(messages, sent, cancellationToken).ConfigureAwait(false)
                : await base.GetResponseAsync(messages, sent, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await ReleaseAsync(admission, ex is OperationCanceledException ? "cancelled" : "failed").ConfigureAwait(false);
            throw;
        }

        if (admission.Downgraded)
        {
            // Which model answered, even from a provider that does not say.
            response.ModelId ??= admission.ModelId;
        }

        string? received = response.Usage.HasTokenCounts() ? null : ReceivedOutput(response);
        await SettleAsync(admission, messages, options, response.Usage, response.ModelId, received, UsageMissingReason.NotReported).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Admission admission = await AdmitAsync(messages, options, cancellationToken).ConfigureAwait(false);

        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            ChatOptions? sent = OptionsToSend(options, admission);
            updates = (admission.Client is { } client
                ? client.GetStreamingResponseAsync(messages, sent, cancellationToken)
                : base.GetStreamingResponseAsync(messages, sent, cancellationToken)).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception ex)
        {
            await ReleaseAsync(admission, ex is OperationCanceledException ? "cancelled" : "failed").ConfigureAwait(false);
            throw;
        }

        // What arrived, for when no usage does: the text is only kept, and counted once at the end if needed.
        UsageDetails? usage = null;
        string? modelId = null;
        ReceivedText text = default;
        bool failed = false;
        UsageMissingReason reason = UsageMissingReason.StoppedEarly;
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        reason = UsageMissingReason.NotReported;
                        break;
                    }

                    update = updates.Current;
                }
                catch
                {
                    failed = true;
                    reason = UsageMissingReason.StreamFailed;
                    throw;
                }

                admission.Produced = true;
                if (admission.Downgraded)
                {
                    update.ModelId ??= admission.ModelId;
                }

                modelId ??= update.ModelId;
                IList<AIContent> contents = update.Contents;
                for (int i = 0; i < contents.Count; i++)
                {
                    if (contents[i] is UsageContent { Details: { } details })
                    {
                        usage = usage is null ? details : Sum(usage, details);
                    }
                    else
                    {
                        text.Append(contents[i]);
                    }
                }

                // While the consumer holds the update, the keeper knows the stream waits for it, not for the provider.
                admission.HandedToConsumer();
                yield return update;
                admission.Resumed();
            }
        }
        finally
        {
            string? received = usage.HasTokenCounts() || text.IsEmpty ? null : text.ToString();
            text.Return();
            await EndStreamAsync(updates, admission, messages, options, released: failed && !admission.Produced && usage is null, usage, modelId, received, reason).ConfigureAwait(false);
        }
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
            _keeper.Dispose();
            _metrics.Dispose();
            if (_ownsOutbox)
            {
                // Its timer stops; what it still holds is logged as lost (an outbox from DI outlives the client).
                _outbox.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    // The provider's objects are never changed: a second usage report is added into a new one.
    private static UsageDetails Sum(UsageDetails first, UsageDetails second)
    {
        var sum = new UsageDetails();
        sum.Add(first);
        sum.Add(second);
        return sum;
    }

    // What a response without usage is charged for: its text, reasoning and function calls.
    private static string ReceivedOutput(ChatResponse response)
    {
        ReceivedText output = default;
        foreach (ChatMessage message in response.Messages)
        {
            foreach (AIContent content in message.Contents)
            {
                output.Append(content);
            }
        }

        string text = output.ToString();
        output.Return();
        return text;
    }

    // What the inner client gets: the caller's options, or a copy without this middleware's own user entry (an
    // adapter that copies additional properties onto the wire would send it) and with the output limit reserved for.
    private static ChatOptions? OptionsToSend(ChatOptions? options, Admission admission)
    {
        // The model is asked for no more output than was reserved for.
        int? maxOutputTokens = admission.Reduced || (options?.MaxOutputTokens is null && admission.Price.MaxOutputTokens is null)
            ? admission.OutputTokens
            : null;
        bool namesUser = options?.AdditionalProperties?.ContainsKey(ChatOptionsBudgetExtensions.UserIdKey) == true;
        if (!namesUser && maxOutputTokens is null && !admission.Downgraded)
        {
            return options;
        }

        // Clone copies the additional properties too.
        ChatOptions sent = options?.Clone() ?? new ChatOptions();
        if (namesUser)
        {
            sent.AdditionalProperties!.Remove(ChatOptionsBudgetExtensions.UserIdKey);
            if (sent.AdditionalProperties.Count == 0)
            {
                sent.AdditionalProperties = null;
            }
        }

        if (maxOutputTokens is not null)
        {
            sent.MaxOutputTokens = maxOutputTokens;
        }

        if (admission.Downgraded)
        {
            sent.ModelId = admission.ModelId;
        }

        return sent;
    }

    private async ValueTask<Admission> AdmitAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        string[] keys = ResolveKeys(messages, options, out string? user);
        string modelId = options?.ModelId ?? _innerDefaultModelId ?? _options.DefaultModelId ?? throw ModelPriceNotFoundException.ForModel(null);
        ModelPrice price = _prices.GetPrice(modelId);
        var admission = new Admission(modelId, price)
        {
            User = user,
            Started = _timeProvider.GetTimestamp(),
            TraceId = _spendLog is not null && Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : null,
            InputTokens = (_inputBound ?? _estimator).CountInputTokens(messages, options, modelId),
            InputIsExact = _inputBound is null,
            OutputTokens = options?.MaxOutputTokens ?? price.MaxOutputTokens ?? _options.MaxOutputTokensCap,
        };

        try
        {
            if (_globalBudget is not null)
            {
                await EnsureGlobalBudgetAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_options.Mode == BudgetEnforcementMode.CheckThenCharge)
            {
                await CheckAsync(admission, keys, messages, options, cancellationToken).ConfigureAwait(false);
            }
            else if (_options.CheaperModels.Count > 0 && _options.CheaperModels.TryGetValue(modelId, out List<string>? cheaper) && cheaper.Count > 0)
            {
                await ReserveOnLadderAsync(admission, cheaper, keys, messages, options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                BudgetExceededException? refused = await ReserveAsync(admission, keys, messages, options, cancellationToken).ConfigureAwait(false);
                if (refused is not null)
                {
                    throw Refused(refused, "refused");
                }
            }
        }
        catch (BudgetStoreUnavailableException ex)
        {
            FailOpenOrThrow(admission, keys, ex);
        }
        catch (Exception ex) when (_spendLog is not null && ex is BudgetExceededException or BudgetNotFoundException)
        {
            await RecordRefusalAsync(admission, keys, ex).ConfigureAwait(false);
            throw;
        }

        return admission;
    }

    // The model asked for first, then each cheaper one in order, until one fits; refused only when the last does not.
    // A budget under DowngradeBelowRemainingShare starts the call on the first cheaper model.
    private async ValueTask ReserveOnLadderAsync(Admission admission, List<string> cheaper, string[] keys, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        string requested = admission.ModelId;
        int step = 0;
        string reason = "refused";
        (string? Key, string? Window) cause = default;
        if (_options.DowngradeBelowRemainingShare is { } share && await FindLowBudgetAsync(keys, share, cancellationToken).ConfigureAwait(false) is { } low)
        {
            (step, reason, cause) = (1, "low_budget", low);
        }

        while (true)
        {
            if (step > 0)
            {
                string model = cheaper[step - 1];
                ModelPrice price = _prices.GetPrice(model);

                // The step starts afresh: its own input bound, and the output the call allows that model (as at admission).
                admission.StepTo(model, price, (_inputBound ?? _estimator).CountInputTokens(messages, options, model), _inputBound is null,
                    options?.MaxOutputTokens ?? price.MaxOutputTokens ?? _options.MaxOutputTokensCap);
                admission.Client = _options.ModelClients.GetValueOrDefault(admission.ModelId);
            }

            BudgetExceededException? refused = await ReserveAsync(admission, keys, messages, options, cancellationToken).ConfigureAwait(false);
            if (refused is null)
            {
                break;
            }

            if (step == cheaper.Count)
            {
                throw Refused(refused, "refused");
            }

            step++;
            if (reason == "refused")
            {
                cause = (refused.Key, refused.WindowName);
            }
        }

        if (step == 0)
        {
            return;
        }

        var downgrade = new BudgetModelDowngrade(_options.ProjectName, requested, admission.ModelId, reason, cause.Key, cause.Window);
        _metrics.Downgrades.Add(1, new("budgetchat.model.from", requested), new("budgetchat.model.to", admission.ModelId), _projectTag);
        Log.Downgraded(_logger, requested, admission.ModelId, reason, cause.Key, cause.Window);
        Activity.Current?.AddEvent(new ActivityEvent("budgetchat.downgrade", tags: new ActivityTagsCollection
        {
            ["budgetchat.model.from"] = requested,
            ["budgetchat.model.to"] = admission.ModelId,
            ["budgetchat.reason"] = reason,
        }));
        try
        {
            _options.OnModelDowngraded?.Invoke(downgrade);
        }
        catch (Exception ex)
        {
            // The call holds its reservation and goes ahead: a failing observer must not leave the hold to expire.
            Log.DowngradeCallbackFailed(_logger, ex);
        }
    }

    // The first budget of the call with a dollar limit under the share left, or null; budgets not there yet are skipped.
    private async ValueTask<(string? Key, string? Window)?> FindLowBudgetAsync(string[] keys, decimal share, CancellationToken cancellationToken)
    {
        foreach (string key in keys)
        {
            BudgetState? budget = await _store.GetBudgetAsync(_options.ProjectName, key, cancellationToken).ConfigureAwait(false);
            foreach (BudgetWindowState window in budget?.Windows ?? [])
            {
                if (window.Unit == BudgetUnit.Dollars && window.Remaining < share * window.Limit.Amount)
                {
                    return (key, window.Name);
                }
            }
        }

        return null;
    }

    // Null when the call is admitted (admission.Lease is set), else the refusal to throw. Every limit of every key must
    // hold the worst case: dollars, tokens (input + output allowed), and one request.
    private async ValueTask<BudgetExceededException?> ReserveAsync(Admission admission, string[] keys, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        decimal outputPrice = admission.Price.MaxOutputCostPerToken;
        bool createdUser = false;
        BudgetExceededException? refusal = null;

        // At most: the bound, the exact count, a smaller output for each limit that refuses, a new user's budget, and one more after a race.
        for (int attempt = 0; attempt < 8; attempt++)
        {
            BudgetUsage amount = admission.WorstCase(_options.Enforcement == BudgetEnforcement.Observe);
            BudgetLease lease = await BudgetLease.AcquireAsync(
                _store, _options.ProjectName, keys, amount, _options.ReservationTimeout, _timeProvider, NewId(), cancellationToken).ConfigureAwait(false);
            if (lease.IsAcquired)
            {
                admission.Lease = lease;
                _keeper.Add(admission);
                string outcome = admission.Reduced ? "reduced" : "reserved";
                if (lease.WouldHaveRefused)
                {
                    outcome = "would_refuse";
                    ReportWouldRefuse(admission, lease.RefusingKey!, lease.RefusingWindow!);
                }

                _metrics.Reservations.Add(1, new("budgetchat.outcome", outcome), _projectTag);
                return null;
            }

            if (lease.Status == BudgetReservationStatus.Conflict)
            {
                // Every attempt has a new id: a store that reports a conflict for one is not keeping the contract.
                throw new InvalidOperationException($"The budget store reported the new reservation id '{lease.Id}' as already used ({lease.Conflict}); ids must be unique per store, so check that no other process shares this client's ids.");
            }

            if (lease.Status == BudgetReservationStatus.BudgetNotFound)
            {
                if (createdUser || await TryCreateUserBudgetAsync(lease.RefusingKey!, cancellationToken).ConfigureAwait(false) is null)
                {
                    throw Refused(MissingBudget(lease.RefusingKey!), "not_found");
                }

                createdUser = true;
                continue;
            }

            // The cheap bound does not fit: what decides is the exact count.
            bool wasBound = !admission.InputIsExact;
            CountInputExactly(admission, messages, options);
            BudgetState refusing = lease.RefusingBudget!;
            BudgetWindowState window = lease.RefusingWindow!;
            BudgetUsage refused = admission.WorstCase(observe: false);
            refusal = new BudgetExceededException(refusing, window, refused.In(window.Unit));

            // The most output the refusing limit leaves room for; a request limit leaves none to trade.
            decimal affordable = window.Unit switch
            {
                BudgetUnit.Dollars when outputPrice == 0m => decimal.MaxValue,
                BudgetUnit.Dollars => decimal.Floor((window.Remaining - admission.Price.GetCost(admission.InputTokens, 0)) / outputPrice),
                BudgetUnit.Tokens => window.Remaining - admission.InputTokens,
                _ => -1m,
            };
            if (affordable >= admission.OutputTokens)
            {
                if (wasBound)
                {
                    continue;
                }

                // The exact amount was refused yet fits what the store reported: it changed in between; refuse.
                break;
            }

            if (!_options.ReduceMaxOutputTokensToFit || affordable < _options.MinimumOutputTokens)
            {
                break;
            }

            Log.Reduced(_logger, refusing.Key, admission.OutputTokens, (int)affordable);
            admission.OutputTokens = (int)affordable;
            admission.Reduced = true;
        }

        return refusal ?? throw Refused(MissingBudget(keys[0]), "not_found");
    }

    private void ReportWouldRefuse(Admission admission, string key, BudgetWindowState window)
    {
        admission.WouldRefuse ??= (key, window.Name);
        Log.WouldRefuse(_logger, key, window.Name);
        Activity.Current?.AddEvent(new ActivityEvent("budgetchat.would_refuse", tags: new ActivityTagsCollection
        {
            ["budgetchat.key"] = key,
            ["budgetchat.window"] = window.Name,
        }));
    }

    // LiteLLM's semantics: admitted while every budget is below its limit, charged afterwards.
    private async ValueTask CheckAsync(Admission admission, string[] keys, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        string outcome = "checked";
        foreach (string key in keys)
        {
            BudgetState budget = await _store.GetBudgetAsync(_options.ProjectName, key, cancellationToken).ConfigureAwait(false)
                ?? await TryCreateUserBudgetAsync(key, cancellationToken).ConfigureAwait(false)
                ?? throw Refused(MissingBudget(key), "not_found");
            // Every limit that applies to the model, each in its own unit: used up means refused.
            foreach (BudgetWindowState window in budget.Windows)
            {
                if (window.Spent < window.Limit.Amount || !window.Limit.AppliesTo(admission.ModelId))
                {
                    continue;
                }

                if (_options.Enforcement == BudgetEnforcement.Observe || budget.Definition.Enforcement == BudgetEnforcement.Observe)
                {
                    outcome = "would_refuse";
                    ReportWouldRefuse(admission, key, window);
                    continue;
                }

                CountInputExactly(admission, messages, options);
                throw Refused(new BudgetExceededException(budget, window, admission.WorstCase(observe: false).In(window.Unit)), "refused");
            }
        }

        admission.Lease = BudgetLease.Unreserved(_store, _options.ProjectName, keys, admission.WorstCase(observe: false), NewId());
        _metrics.Reservations.Add(1, new("budgetchat.outcome", outcome), _projectTag);
    }

    private void FailOpenOrThrow(Admission admission, string[] keys, BudgetStoreUnavailableException ex)
    {
        if (_options.StoreFailureMode != BudgetStoreFailureMode.FailOpen)
        {
            throw Refused(
                new BudgetStoreUnavailableException(
                    $"The call was refused and the model was not called because the budget store cannot be reached (BudgetingChatClientOptions.StoreFailureMode is FailClosed). {ex.Message}",
                    ex),
                "store_unavailable");
        }

        _metrics.Reservations.Add(1, new("budgetchat.outcome", "unbudgeted"), _projectTag);
        Log.FailedOpen(_logger, _options.ProjectName, ex);
        admission.Lease = BudgetLease.Unreserved(_store, _options.ProjectName, keys, admission.WorstCase(observe: false), NewId());
    }

    private static string NewIdPrefix()
    {
        Span<byte> random = stackalloc byte[8];
        Random.Shared.NextBytes(random);
        return System.Buffers.Text.Base64Url.EncodeToString(random);
    }

    private string NewId() => string.Create(CultureInfo.InvariantCulture, $"{_idPrefix}.{Interlocked.Increment(ref _idCounter):x}");

    private void CountInputExactly(Admission admission, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (!admission.InputIsExact)
        {
            admission.InputTokens = _estimator.CountInputTokens(messages, options, admission.ModelId);
            admission.InputIsExact = true;
        }
    }

    private string[] ResolveKeys(IEnumerable<ChatMessage> messages, ChatOptions? options, out string? userId)
    {
        userId = BudgetCallKeys.ResolveUser(options.GetBudgetUser(), _options, messages, options);
        if (userId is null && _options.RequireUser)
        {
            throw new InvalidOperationException(
                "This chat client requires a user for every call (BudgetingChatClientOptions.RequireUser) and the call names none. Set one with ChatOptions.WithBudgetUser(userId).");
        }

        // Without a keys resolver a call's keys follow from its user alone, so the last user's are used again (stores
        // take keys read-only).
        bool byUserAlone = _options.AdditionalKeysResolver is null && userId is not null;
        if (byUserAlone && _lastUserKeys is { } last
            && last[0].Length == BudgetKeys.UserPrefix.Length + userId!.Length && last[0].EndsWith(userId, StringComparison.Ordinal))
        {
            return last;
        }

        string[] keys = BudgetCallKeys.Resolve(userId, _globalBudget is not null, _options, messages, options);
        if (byUserAlone)
        {
            _lastUserKeys = keys;
        }

        return keys.Length > 0 ? keys : throw new InvalidOperationException(
            "The call names no user and the client has no global budget, so there is no budget to charge it to. Set a user with ChatOptions.WithBudgetUser(userId), or set BudgetingChatClientOptions.MaxBudget.");
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
        if (_userBudget is not { } definition || !key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal))
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

        return ready.WaitAsync(cancellationToken);
    }

    // receivedText: what the model wrote, charged when the provider reported no usage (null when it did).
    private async ValueTask SettleAsync(Admission admission, IEnumerable<ChatMessage> messages, ChatOptions? options, UsageDetails? usage, string? responseModelId, string? receivedText, UsageMissingReason reason)
    {
        string modelId = responseModelId ?? admission.ModelId;

        // A response may name a dated variant with a price of its own; otherwise the request's price applies.
        ModelPrice price = responseModelId is not null && !string.Equals(responseModelId, admission.ModelId, StringComparison.OrdinalIgnoreCase)
            && _prices.TryGetPrice(responseModelId, out ModelPrice? responsePrice) ? responsePrice : admission.Price;

        decimal cost;
        long tokens;
        BudgetSpendRecord? record = null;
        if (usage.HasTokenCounts())
        {
            cost = price.GetCost(usage);
            tokens = usage!.TotalTokenCount ?? ((usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0));
            if (_spendLog is not null)
            {
                record = CallRecord(admission, BudgetSpendOutcome.Charged, null, usage);
            }
        }
        else
        {
            // No usage: charge the input, counted exactly, and the text received, so a silent provider is never free.
            CountInputExactly(admission, messages, options);
            int outputTokens = string.IsNullOrEmpty(receivedText) ? 0 : _estimator.CountTokens(receivedText, modelId);
            cost = price.GetCost(admission.InputTokens, outputTokens);
            tokens = (long)admission.InputTokens + outputTokens;
            _metrics.UsageMissing.Add(1, _projectTag);
            Log.UsageMissing(_logger, modelId, reason, admission.InputTokens, outputTokens, cost);
            if (_spendLog is not null)
            {
                record = CallRecord(admission, BudgetSpendOutcome.Estimated, UsageMissingReasons.ToName(reason), new UsageDetails { InputTokenCount = admission.InputTokens, OutputTokenCount = outputTokens });
            }
        }

        var actual = new BudgetUsage(cost, Math.Max(0, tokens), modelId) { Record = record };

        BudgetLease lease = admission.Lease!;
        _keeper.Remove(admission);
        if (admission.IsAbandoned)
        {
            // The keeper took the stream as abandoned and charged what was held; this late end changes nothing.
            Log.EndedAfterAbandoned(_logger, lease.Id, cost);
            return;
        }

        BudgetCompletion completion;
        try
        {
            completion = await lease.SettleAsync(actual, CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (admission.IsAbandoned)
        {
            Log.EndedAfterAbandoned(_logger, lease.Id, cost);
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The model has answered and its cost is incurred: the outbox records it when the store is back (losing the
            // answer too would not help the caller).
            Log.SettleFailed(_logger, lease.Id, cost, ex);
            await KeepInOutboxAsync(lease, actual).ConfigureAwait(false);
            return;
        }

        if (completion.Status == BudgetCompletionStatus.NotFound)
        {
            // The store does not know the reservation (it lost it, or forgot it): the outbox charges its keys instead.
            Log.SettleFailed(_logger, lease.Id, cost, null);
            await KeepInOutboxAsync(lease, actual).ConfigureAwait(false);
            return;
        }

        if (completion.Status == BudgetCompletionStatus.Conflict)
        {
            Log.SettleConflict(_logger, lease.Id, cost, completion.Conflict.ToString());
            return;
        }

        _metrics.Spend.Add((double)cost, new("budgetchat.model", modelId), _projectTag);
        if (lease.HoldsReservation)
        {
            _metrics.EstimateError.Record((double)(lease.Amount - cost), _projectTag);
        }

        Log.Settled(_logger, lease.Id, modelId, cost, lease.Amount);
        await _alerts.PublishAsync(completion.Alerts).ConfigureAwait(false);
    }

    // The provider's stream is closed first; the call is settled (or released) even when that fails.
    private async ValueTask EndStreamAsync(
        IAsyncEnumerator<ChatResponseUpdate> updates, Admission admission, IEnumerable<ChatMessage> messages, ChatOptions? options,
        bool released, UsageDetails? usage, string? modelId, string? received, UsageMissingReason reason)
    {
        try
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (released)
            {
                await ReleaseAsync(admission, "failed").ConfigureAwait(false);
            }
            else
            {
                await SettleAsync(admission, messages, options, usage, modelId, received, reason).ConfigureAwait(false);
            }
        }
    }

    // A stream whose consumer neither read nor disposed it for a whole reservation timeout (see LeaseKeeper): what
    // was held is charged when it produced anything, since the provider bills what it sent; otherwise it is released.
    private async ValueTask AbandonAsync(KeptCall call)
    {
        var admission = (Admission)call;
        BudgetLease lease = admission.Lease!;
        if (!admission.Produced)
        {
            await ReleaseAsync(admission, "abandoned").ConfigureAwait(false);
            return;
        }

        try
        {
            var held = new BudgetUsage(lease.Amount, lease.Usage.Tokens, admission.ModelId)
            {
                Record = _spendLog is null ? null : CallRecord(admission, BudgetSpendOutcome.Estimated, "abandoned"),
            };
            BudgetCompletion completion = await lease.SettleAsync(held, CancellationToken.None).ConfigureAwait(false);
            _metrics.Spend.Add((double)lease.Amount, new("budgetchat.model", admission.ModelId), _projectTag);
            await _alerts.PublishAsync(completion.Alerts).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The stream ended after all, at the same moment; its own settle counts.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SettleFailed(_logger, lease.Id, lease.Amount, ex);
            await KeepInOutboxAsync(lease, new BudgetUsage(lease.Amount, lease.Usage.Tokens, admission.ModelId)).ConfigureAwait(false);
        }
    }

    // A cost the store did not record goes to the outbox, which retries it under the lease's id.
    private async ValueTask KeepInOutboxAsync(BudgetLease lease, BudgetUsage actual)
    {
        decimal cost = actual.Cost;
        var entry = new BudgetOutboxEntry(
            lease.HoldsReservation ? BudgetOutboxOperation.Settle : BudgetOutboxOperation.Charge,
            lease.Project, lease.Id, lease.Keys, cost, actual.Model, _timeProvider.GetUtcNow(), actual.Tokens);
        try
        {
            _ = await _outbox.AddAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException ex)
        {
            Log.ChargeFailed(_logger, lease.Id, cost, ex);
        }
    }

    private async ValueTask ReleaseAsync(Admission admission, string reason)
    {
        BudgetLease lease = admission.Lease!;
        _keeper.Remove(admission);
        bool released = !lease.HoldsReservation;
        if (lease.HoldsReservation)
        {
            try
            {
                released = (await lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false)).Status == BudgetCompletionStatus.Completed;
                Log.Released(_logger, lease.Id);
            }
            catch (Exception ex)
            {
                // The reservation expires and is reclaimed by the store; the caller's own exception matters more.
                Log.ReleaseFailed(_logger, lease.Id, ex);
            }
        }

        // Also a call admitted without a hold (check-then-charge, fail open) that failed: it was made and cost nothing.
        if (_spendLog is not null && released)
        {
            await AppendSpendAsync(CallRecord(admission, BudgetSpendOutcome.Released, reason) with
            {
                Id = lease.Id,
                Keys = lease.Keys,
                Model = admission.ModelId,
                Held = lease.HoldsReservation ? lease.Amount : 0m,
            }).ConfigureAwait(false);
        }
    }

    // The spend record of a call as the client knows it; the store adds the id, time, keys, cost, tokens and model of a charge.
    private BudgetSpendRecord CallRecord(Admission admission, BudgetSpendOutcome outcome, string? reason, UsageDetails? usage = null) => new()
    {
        InputTokens = usage?.InputTokenCount,
        CachedInputTokens = usage?.CachedInputTokenCount,
        OutputTokens = usage?.OutputTokenCount,
        ReasoningTokens = usage?.ReasoningTokenCount,
        User = admission.User,
        RequestedModel = admission.RequestedModel,
        Outcome = outcome,
        Marks = (admission.Reduced ? BudgetSpendMarks.Reduced : 0)
            | (admission.Downgraded ? BudgetSpendMarks.Downgraded : 0)
            | (admission.WouldRefuse is null ? 0 : BudgetSpendMarks.WouldRefuse),
        Reason = reason,
        RefusedKey = admission.WouldRefuse?.Key,
        RefusedWindow = admission.WouldRefuse?.Window,
        MaxOutputTokens = admission.Reduced ? admission.OutputTokens : null,
        Duration = _timeProvider.GetElapsedTime(admission.Started),
        TraceId = admission.TraceId,
    };

    private async ValueTask RecordRefusalAsync(Admission admission, string[] keys, Exception refusal)
    {
        var exceeded = refusal as BudgetExceededException;
        await AppendSpendAsync(CallRecord(admission, BudgetSpendOutcome.Refused, exceeded is null ? "no budget" : RefusalReason(exceeded)) with
        {
            Id = admission.Lease?.Id,
            Keys = keys,
            Model = admission.ModelId,
            InputTokens = admission.InputTokens,
            Marks = (admission.Downgraded ? BudgetSpendMarks.Downgraded : 0),
            MaxOutputTokens = null,
            RefusedKey = exceeded?.Key ?? (refusal as BudgetNotFoundException)?.Key,
            RefusedWindow = exceeded?.WindowName,
        }).ConfigureAwait(false);
    }

    private static string RefusalReason(BudgetExceededException refusal) =>
        $"needed {BudgetExceededException.Amount(refusal.Unit, refusal.Estimate)}, {BudgetExceededException.Amount(refusal.Unit, Math.Max(0m, refusal.Limit - refusal.Spent - refusal.Reserved))} left of {BudgetExceededException.Amount(refusal.Unit, refusal.Limit)}";

    // A record that changes no spend: losing it loses no money, so a failure is logged and the call goes on as it would.
    private async ValueTask AppendSpendAsync(BudgetSpendRecord record)
    {
        try
        {
            await _spendLog!.AppendSpendAsync(_options.ProjectName, record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SpendRecordFailed(_logger, record.Outcome, ex);
        }
    }

    // One call on its way through: the model, the estimate, and the lease that admitted it (which holds who pays).
    private sealed class Admission(string modelId, ModelPrice price) : KeptCall
    {
        // The model the call goes to: the one asked for, or a cheaper step of the ladder.
        public string ModelId { get; private set; } = modelId;

        public ModelPrice Price { get; private set; } = price;

        // Set when the ladder moved the call to a cheaper model; Client, when that model has a client of its own.
        public bool Downgraded { get; private set; }

        public IChatClient? Client { get; set; }

        // The input's tokens: bounded by its UTF-8 length until the exact count is needed.
        public int InputTokens { get; set; }

        public bool InputIsExact { get; set; }

        public int OutputTokens { get; set; }

        public bool Reduced { get; set; }

        // For the spend record: who asked, for which model, since when, in which trace, and what observe mode saw.
        public string? User { get; init; }

        public string RequestedModel { get; } = modelId;

        public long Started { get; init; }

        public string? TraceId { get; init; }

        public (string Key, string Window)? WouldRefuse { get; set; }

        // The most the call can cost and use: the price of the input and the output allowed, and their tokens.
        public BudgetUsage WorstCase(bool observe) =>
            new(Price.GetWorstCaseCost(InputTokens, OutputTokens), (long)InputTokens + OutputTokens, ModelId) { Observe = observe };

        public void StepTo(string modelId, ModelPrice price, int inputTokens, bool inputIsExact, int outputTokens)
        {
            ModelId = modelId;
            Price = price;
            Downgraded = true;
            InputTokens = inputTokens;
            InputIsExact = inputIsExact;
            OutputTokens = outputTokens;
            Reduced = false;
        }

        // Lease (from KeptCall): a reservation, or (check-then-charge, fail open) a lease that holds nothing and
        // charges when settled.
    }
}
