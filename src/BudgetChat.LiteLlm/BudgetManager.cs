using System.Runtime.CompilerServices;
using BudgetChat.Http;
using BudgetChat.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetChat.LiteLlm;

/// <summary>
/// Per-user budgets by hand: LiteLLM's <c>BudgetManager</c> API, async and in <see cref="decimal"/>, over the same
/// <see cref="IBudgetStore"/> as <c>UseBudget()</c>, so both see the same numbers.
/// </summary>
/// <remarks>
/// <para>
/// The project name scopes every budget: two managers (or a manager and a budgeted chat client) see each other's
/// users only when their project names match. Users are the keys <c>user:{id}</c> that <see cref="BudgetingChatClient"/>
/// charges.
/// </para>
/// <para>
/// Unlike LiteLLM's, creating a budget for an existing user changes its limit and period but keeps what it has
/// spent, and charges are atomic, so concurrent updates are never lost. This type is thread-safe.
/// </para>
/// </remarks>
public sealed partial class BudgetManager : IDisposable
{
    private readonly ModelPriceCatalog _prices;
    private readonly ITokenEstimator _estimator;
    private readonly TimeProvider _timeProvider;
    private readonly BudgetWindowAlignment _alignment;
    private readonly TimeSpan _reservationTimeout;
    private readonly IBudgetAlertSink[] _alertSinks;
    private readonly ILogger _logger;
    private readonly bool _ownsStore;
    private readonly string? _liteLlmFile;
    private readonly Lock _readyGate = new();
    private Task? _ready;

    /// <summary>Initializes a new instance of the <see cref="BudgetManager"/> class the way LiteLLM's is created.</summary>
    /// <param name="projectName">The project; scopes every budget.</param>
    /// <param name="clientType">
    /// <see cref="BudgetClientType.Local"/> keeps budgets in a SQLite database on this machine
    /// (<see cref="BudgetManagerOptions.DatabasePath"/>, <c>./budgetchat.db</c> by default), importing LiteLLM's
    /// <c>user_cost.json</c> from the working directory the first time the project is used;
    /// <see cref="BudgetClientType.Hosted"/> keeps them on the budget service at <paramref name="apiBase"/>, sending
    /// <see cref="BudgetManagerOptions.ApiKey"/> (or, when it is not set, the <c>BUDGETCHAT_API_KEY</c> environment
    /// variable) and <see cref="BudgetManagerOptions.Headers"/> with every request.
    /// </param>
    /// <param name="apiBase">The budget service's address, for <see cref="BudgetClientType.Hosted"/>.</param>
    /// <param name="options">Prices, token counting, clock, files, logging, and a hosted manager's key and headers; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">
    /// The project name is empty, the client type unknown, a hosted manager has no <paramref name="apiBase"/>, or an
    /// option is invalid (<see cref="ArgumentException.ParamName"/> is the setting).
    /// </exception>
    public BudgetManager(string projectName, BudgetClientType clientType = BudgetClientType.Local, Uri? apiBase = null, BudgetManagerOptions? options = null)
        : this(projectName, CreateStore(clientType, apiBase, Validated(options)), options)
    {
        _ownsStore = true;
        _liteLlmFile = clientType == BudgetClientType.Local ? options?.LiteLlmFilePath ?? LiteLlmUserCostFile.DefaultFileName : null;
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetManager"/> class over a store.</summary>
    /// <param name="projectName">The project; scopes every budget.</param>
    /// <param name="store">Where budgets are kept; the manager does not dispose it.</param>
    /// <param name="options">Prices, token counting, clock and alert sinks; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The project name is empty, or an option is invalid (<see cref="ArgumentException.ParamName"/> is the setting).</exception>
    public BudgetManager(string projectName, IBudgetStore store, BudgetManagerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectName);
        ArgumentNullException.ThrowIfNull(store);
        Validated(options);
        ProjectName = projectName;
        Store = store;
        _prices = options?.Prices ?? ModelPriceCatalog.CreateDefault();
        _estimator = options?.TokenEstimator ?? new TiktokenTokenEstimator();
        _timeProvider = options?.TimeProvider ?? TimeProvider.System;
        _alignment = options?.Alignment ?? BudgetWindowAlignment.Calendar;
        _reservationTimeout = options?.ReservationTimeout ?? BudgetManagerOptions.DefaultReservationTimeout;
        _alertSinks = [.. options?.AlertSinks ?? []];
        _logger = (ILogger?)options?.LoggerFactory?.CreateLogger<BudgetManager>() ?? NullLogger.Instance;
    }

    /// <summary>Gets the project every budget of this manager belongs to.</summary>
    public string ProjectName { get; }

    /// <summary>Gets the store the budgets are kept in.</summary>
    public IBudgetStore Store { get; }

    /// <summary>Creates a user's budget, or changes its limit and period keeping its spend (LiteLLM's <c>create_budget</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="totalBudget">The limit in US dollars.</param>
    /// <param name="duration">How often spend resets, or <see langword="null"/> for never.</param>
    /// <param name="createdAt">When the budget counts from; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget.</returns>
    /// <exception cref="ArgumentException">The user is empty, the budget negative, or the duration unknown.</exception>
    /// <remarks>
    /// Preferred over the overload with LiteLLM's duration names when the duration is a bare <see langword="null"/>,
    /// so that <c>CreateBudgetAsync("u", 10m, null)</c> compiles; either overload reads it as no period.
    /// </remarks>
    [OverloadResolutionPriority(1)]
    public async Task<BudgetState> CreateBudgetAsync(string user, decimal totalBudget, BudgetPeriod? duration = null, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        string key = UserKey(user);
        ArgumentOutOfRangeException.ThrowIfNegative(totalBudget);
        if (duration is { } d && !Enum.IsDefined(d))
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "Unknown duration. Use Daily, Weekly, Monthly, Yearly, or null for a budget that never resets.");
        }

        var definition = new BudgetDefinition(totalBudget, duration ?? BudgetPeriod.None, _alignment);
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        return await store.SetBudgetAsync(ProjectName, key, definition, createdAt ?? _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a user's budget with LiteLLM's duration names.</summary>
    /// <param name="user">The user id.</param>
    /// <param name="totalBudget">The limit in US dollars.</param>
    /// <param name="duration"><c>daily</c>, <c>weekly</c>, <c>monthly</c>, <c>yearly</c>, or <see langword="null"/> for never.</param>
    /// <param name="createdAt">When the budget counts from; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget.</returns>
    /// <exception cref="ArgumentException">The user is empty, the budget negative, or the duration unknown.</exception>
    public Task<BudgetState> CreateBudgetAsync(string user, decimal totalBudget, string? duration, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        BudgetPeriod? period = duration?.Trim().ToUpperInvariant() switch
        {
            null => null,
            "DAILY" => BudgetPeriod.Daily,
            "WEEKLY" => BudgetPeriod.Weekly,
            "MONTHLY" => BudgetPeriod.Monthly,
            "YEARLY" => BudgetPeriod.Yearly,
            _ => throw new ArgumentException($"Unknown duration '{duration}'. Use daily, weekly, monthly, yearly, or null for a budget that never resets.", nameof(duration)),
        };
        return CreateBudgetAsync(user, totalBudget, period, createdAt, cancellationToken);
    }

    /// <summary>Gets what a call would make the user's spend: current spend plus the priced input tokens of <paramref name="messages"/> (LiteLLM's <c>projected_cost</c>).</summary>
    /// <param name="model">The model the messages would be sent to.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The projected spend in US dollars.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    /// <exception cref="ModelPriceNotFoundException">The model has no price.</exception>
    public async Task<decimal> ProjectedCostAsync(string model, IEnumerable<ChatMessage> messages, string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(messages);
        BudgetState budget = await GetUserAsync(user, cancellationToken).ConfigureAwait(false);
        int inputTokens = _estimator.CountInputTokens(messages, null, model);
        return budget.Spent + _prices.GetPrice(model).GetCost(inputTokens, 0);
    }

    /// <summary>
    /// Holds a call's worst-case cost on the user's budget before the model is called: the race-free form of LiteLLM's
    /// check-then-<c>update_cost</c>, where every concurrent caller passes the check before any is charged.
    /// </summary>
    /// <param name="user">The user id.</param>
    /// <param name="model">The model the messages will be sent to.</param>
    /// <param name="messages">The messages; their input tokens are counted.</param>
    /// <param name="maxOutputTokens">The most output tokens the call may produce (send the same as <c>ChatOptions.MaxOutputTokens</c>).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// The lease. When <see cref="BudgetLease.IsAcquired"/> is <see langword="false"/> the budget cannot hold the call
    /// (<see cref="BudgetLease.RefusingBudget"/> says how much is left and when it resets): do not call the model. Otherwise
    /// call it, then settle the lease with <see cref="SettleAsync(BudgetLease, ChatResponse, CancellationToken)"/> (or
    /// <see cref="BudgetLease.SettleAsync(decimal, string?, CancellationToken)"/>); disposing it without settling releases the money.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxOutputTokens"/> is not positive.</exception>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    /// <exception cref="ModelPriceNotFoundException">The model has no price.</exception>
    public async Task<BudgetLease> ReserveAsync(string user, string model, IEnumerable<ChatMessage> messages, int maxOutputTokens, CancellationToken cancellationToken = default)
    {
        string key = UserKey(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxOutputTokens);
        decimal worstCase = _prices.GetPrice(model).GetWorstCaseCost(_estimator.CountInputTokens(messages, null, model), maxOutputTokens);
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        BudgetLease lease = await BudgetLease.AcquireAsync(store, ProjectName, [key], worstCase, _reservationTimeout, _timeProvider, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (lease.Status == BudgetReservationStatus.BudgetNotFound)
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw NotFound(user);
        }

        return lease;
    }

    /// <summary>Settles a lease from <see cref="ReserveAsync"/> to a response's cost, priced from its <see cref="ChatResponse.Usage"/>.</summary>
    /// <param name="lease">The acquired lease.</param>
    /// <param name="response">The model's response; <see cref="ChatResponse.ModelId"/> names the price when set.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What the settlement did.</returns>
    /// <exception cref="ArgumentException">The response reports no token usage.</exception>
    /// <exception cref="InvalidOperationException">The lease was refused or has ended.</exception>
    public async Task<BudgetCompletion> SettleAsync(BudgetLease lease, ChatResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(response);
        UsageDetails? usage = response.Usage;
        if (usage is not ({ InputTokenCount: not null } or { OutputTokenCount: not null }))
        {
            throw new ArgumentException("The response reports no token usage (ChatResponse.Usage), so it cannot be priced. Settle the lease with BudgetLease.SettleAsync(cost).", nameof(response));
        }

        string model = response.ModelId ?? throw new ArgumentException("The response names no model (ChatResponse.ModelId), so it cannot be priced. Settle the lease with BudgetLease.SettleAsync(cost).", nameof(response));
        BudgetCompletion completion = await lease.SettleAsync(_prices.GetPrice(model).GetCost(usage), model, cancellationToken).ConfigureAwait(false);
        await PublishAsync(completion.Alerts).ConfigureAwait(false);
        return completion;
    }

    /// <summary>Gets a user's limit (LiteLLM's <c>get_total_budget</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The limit in US dollars.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    public async Task<decimal> GetTotalBudgetAsync(string user, CancellationToken cancellationToken = default) =>
        (await GetUserAsync(user, cancellationToken).ConfigureAwait(false)).Limit;

    /// <summary>Gets a user's spend in the current window (LiteLLM's <c>get_current_cost</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The spend in US dollars.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    public async Task<decimal> GetCurrentCostAsync(string user, CancellationToken cancellationToken = default) =>
        (await GetUserAsync(user, cancellationToken).ConfigureAwait(false)).Spent;

    /// <summary>Gets a user's spend per model in the current window (LiteLLM's <c>get_model_cost</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Spend by model id; empty when nothing was spent.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    public async Task<IReadOnlyDictionary<string, decimal>> GetModelCostAsync(string user, CancellationToken cancellationToken = default) =>
        (await GetUserAsync(user, cancellationToken).ConfigureAwait(false)).SpendByModel;

    /// <summary>Tells whether a user has a budget (LiteLLM's <c>is_valid_user</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when the user has a budget.</returns>
    public async Task<bool> IsValidUserAsync(string user, CancellationToken cancellationToken = default)
    {
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        return await store.GetBudgetAsync(ProjectName, UserKey(user), cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>Lists the users with a budget (LiteLLM's <c>get_users</c>).</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The user ids, in ordinal order.</returns>
    public async Task<IReadOnlyList<string>> GetUsersAsync(CancellationToken cancellationToken = default)
    {
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(ProjectName, cancellationToken).ConfigureAwait(false);
        return [.. budgets.Where(b => b.Key.StartsWith(BudgetKeys.UserPrefix, StringComparison.Ordinal)).Select(b => b.Key[BudgetKeys.UserPrefix.Length..])];
    }

    /// <summary>Charges a user for a response, priced from its <see cref="ChatResponse.Usage"/> and <see cref="ChatResponse.ModelId"/> (LiteLLM's <c>update_cost(completion_obj=...)</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="response">The response.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget after the charge.</returns>
    /// <exception cref="ArgumentException">The response names no model or reports no usage.</exception>
    /// <exception cref="BudgetNotFoundException">The user has no budget; nothing is charged.</exception>
    /// <exception cref="ModelPriceNotFoundException">The model has no price.</exception>
    public Task<BudgetState> UpdateCostAsync(string user, ChatResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (string.IsNullOrWhiteSpace(response.ModelId))
        {
            throw new ArgumentException("The response names no model (ChatResponse.ModelId), so it cannot be priced. Use UpdateCostAsync(user, model, inputText, outputText).", nameof(response));
        }

        UsageDetails? usage = response.Usage;
        if (usage is not ({ InputTokenCount: not null } or { OutputTokenCount: not null }))
        {
            throw new ArgumentException("The response reports no token usage (ChatResponse.Usage), so it cannot be priced. Use UpdateCostAsync(user, model, inputText, outputText).", nameof(response));
        }

        return ChargeAsync(user, response.ModelId, _prices.GetPrice(response.ModelId).GetCost(usage), cancellationToken);
    }

    /// <summary>Charges a user for a call given as texts, counting their tokens (LiteLLM's <c>update_cost(input_text=..., output_text=...)</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="model">The model.</param>
    /// <param name="inputText">What was sent.</param>
    /// <param name="outputText">What came back.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget after the charge.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget; nothing is charged.</exception>
    /// <exception cref="ModelPriceNotFoundException">The model has no price.</exception>
    public Task<BudgetState> UpdateCostAsync(string user, string model, string inputText, string outputText, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(inputText);
        ArgumentNullException.ThrowIfNull(outputText);
        decimal cost = _prices.GetPrice(model).GetCost(_estimator.CountTokens(inputText, model), _estimator.CountTokens(outputText, model));
        return ChargeAsync(user, model, cost, cancellationToken);
    }

    /// <summary>Sets a user's spend to zero and starts a new window (LiteLLM's <c>reset_cost</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget after the reset.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    public async Task<BudgetState> ResetCostAsync(string user, CancellationToken cancellationToken = default)
    {
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        return await store.ResetBudgetAsync(ProjectName, UserKey(user), cancellationToken).ConfigureAwait(false) ?? throw NotFound(user);
    }

    /// <summary>Starts a new window for the user if the current one has ended (LiteLLM's <c>reset_on_duration</c>).</summary>
    /// <param name="user">The user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The budget, in its current window.</returns>
    /// <exception cref="BudgetNotFoundException">The user has no budget.</exception>
    /// <remarks>Stores roll windows over whenever a budget is touched, so this only reads the budget.</remarks>
    public Task<BudgetState> ResetOnDurationAsync(string user, CancellationToken cancellationToken = default) => GetUserAsync(user, cancellationToken);

    /// <summary>Rolls over every budget whose window has ended (LiteLLM's <c>update_budget_all_users</c>), in every project of the store.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many budgets rolled over.</returns>
    public async Task<int> UpdateBudgetAllUsersAsync(CancellationToken cancellationToken = default)
    {
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        return await store.SweepAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the budgets out (LiteLLM's <c>save_data</c>). Every charge is durable in the store already; a local manager
    /// also writes the project's budgets to <c>user_cost.json</c> (<see cref="BudgetManagerOptions.LiteLlmFilePath"/>) in
    /// exactly LiteLLM's shape, so LiteLLM-side tools keep reading it.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the data is saved.</returns>
    public async Task SaveDataAsync(CancellationToken cancellationToken = default)
    {
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        if (_liteLlmFile is not null)
        {
            int written = await LiteLlmUserCostFile.ExportAsync(store, ProjectName, _liteLlmFile, cancellationToken).ConfigureAwait(false);
            Log.Exported(_logger, Path.GetFullPath(_liteLlmFile), written);
        }
    }

    /// <summary>Disposes the store when this manager created it.</summary>
    public void Dispose()
    {
        if (_ownsStore && Store is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private static IBudgetStore CreateStore(BudgetClientType clientType, Uri? apiBase, BudgetManagerOptions? options) => clientType switch
    {
        BudgetClientType.Local => new SqliteBudgetStore(
            new SqliteBudgetStoreOptions { DatabasePath = options?.DatabasePath ?? BudgetManagerOptions.DefaultDatabasePath },
            options?.TimeProvider,
            options?.LoggerFactory?.CreateLogger<SqliteBudgetStore>()),
        BudgetClientType.Hosted => HostedBudgetStore.Create(HostedOptions(
            apiBase ?? throw new ArgumentException("A hosted budget manager needs the budget service's address.", nameof(apiBase)),
            options)),
        _ => throw new ArgumentOutOfRangeException(nameof(clientType), clientType, "Unknown client type. Use Local or Hosted."),
    };

    private static BudgetManagerOptions? Validated(BudgetManagerOptions? options)
    {
        if (options is not null)
        {
            OptionsValidation.ThrowIfFailed(new BudgetManagerOptionsValidator().Validate(null, options), options);
        }

        return options;
    }

    // A key or Authorization header passed in wins; the environment is read only when neither is.
    private static HostedBudgetStoreOptions HostedOptions(Uri apiBase, BudgetManagerOptions? options)
    {
        var hosted = new HostedBudgetStoreOptions { BaseAddress = apiBase, ApiKey = options?.ApiKey };
        foreach (KeyValuePair<string, string> header in options?.Headers ?? new Dictionary<string, string>())
        {
            hosted.Headers[header.Key] = header.Value;
        }

        if (hosted.ApiKey is null && !RequestHeaderRules.HasAuthorization(hosted.Headers))
        {
            string? key = Environment.GetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable);
            if (key is not null && key.Any(char.IsControl))
            {
                throw new ArgumentException($"The {HostedBudgetStoreOptions.ApiKeyEnvironmentVariable} environment variable must be a key without control characters.", nameof(options));
            }

            hosted.ApiKey = string.IsNullOrWhiteSpace(key) ? null : key;
        }

        return hosted;
    }

    // The store, once a local manager has imported LiteLLM's user_cost.json into a project that has no budgets yet, so
    // that a user moving from LiteLLM sees their users and their spend, never fresh budgets at $0.
    private async ValueTask<IBudgetStore> StoreReadyAsync(CancellationToken cancellationToken)
    {
        if (_liteLlmFile is null)
        {
            return Store;
        }

        Task ready;
        lock (_readyGate)
        {
            // Once per manager; a damaged file is reported again on the next call, and read once it is fixed.
            if (_ready is null || _ready.IsFaulted)
            {
                _ready = ImportLiteLlmFileAsync();
            }

            ready = _ready;
        }

        await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Store;
    }

    private async Task ImportLiteLlmFileAsync()
    {
        string path = Path.GetFullPath(_liteLlmFile!);
        if (!File.Exists(path) || (await Store.ListBudgetsAsync(ProjectName, CancellationToken.None).ConfigureAwait(false)).Count > 0)
        {
            return;
        }

        try
        {
            int users = await LiteLlmUserCostFile.ImportAsync(Store, ProjectName, path, _timeProvider, CancellationToken.None).ConfigureAwait(false);
            Log.Imported(_logger, path, users, ProjectName);
        }
        catch (FormatException ex)
        {
            Log.ImportFailed(_logger, path, ex);
            throw;
        }
    }

    private static string UserKey(string user)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return BudgetKeys.ForUser(user);
    }

    private async Task<BudgetState> ChargeAsync(string user, string model, decimal cost, CancellationToken cancellationToken)
    {
        string key = UserKey(user);
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        BudgetCompletion completion;
        try
        {
            completion = await store.ChargeAsync(ProjectName, [key], cost, model, Guid.NewGuid().ToString("N"), cancellationToken).ConfigureAwait(false);
        }
        catch (BudgetNotFoundException)
        {
            throw NotFound(user);
        }

        await PublishAsync(completion.Alerts).ConfigureAwait(false);
        return await GetUserAsync(user, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask PublishAsync(IReadOnlyList<BudgetAlert> alerts)
    {
        foreach (BudgetAlert alert in alerts)
        {
            foreach (IBudgetAlertSink sink in _alertSinks)
            {
                try
                {
                    await sink.OnBudgetAlertAsync(alert, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Log.AlertSinkFailed(_logger, sink.GetType().Name, alert.Key, ex);
                }
            }
        }
    }

    private async Task<BudgetState> GetUserAsync(string user, CancellationToken cancellationToken)
    {
        IBudgetStore store = await StoreReadyAsync(cancellationToken).ConfigureAwait(false);
        return await store.GetBudgetAsync(ProjectName, UserKey(user), cancellationToken).ConfigureAwait(false) ?? throw NotFound(user);
    }

    private BudgetNotFoundException NotFound(string user) => new(
        ProjectName,
        BudgetKeys.ForUser(user),
        $"User '{user}' has no budget in project '{ProjectName}'. Create one with CreateBudgetAsync(\"{user}\", totalBudget).");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Imported {Users} users from LiteLLM's budget file '{Path}' into project '{Project}'.")]
        public static partial void Imported(ILogger logger, string path, int users, string project);

        [LoggerMessage(2, LogLevel.Error, "LiteLLM's budget file '{Path}' could not be imported; it was left as it is.")]
        public static partial void ImportFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(3, LogLevel.Information, "Wrote {Users} budgets to LiteLLM's budget file '{Path}'.")]
        public static partial void Exported(ILogger logger, string path, int users);

        [LoggerMessage(4, LogLevel.Error, "Budget alert sink {Sink} failed on an alert for '{Key}'.")]
        public static partial void AlertSinkFailed(ILogger logger, string sink, string key, Exception exception);
    }
}
