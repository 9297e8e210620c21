using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using BudgetChat.Stores;

namespace BudgetChat.LiteLlm;

/// <summary>
/// An <see cref="IBudgetStore"/> over LiteLLM's hosted budget API, for servers that speak only that: <c>/get_budget</c>
/// reads a project's user dictionary and <c>/set_budget</c> writes it back whole. A BudgetChat budget service speaks it
/// too, but is better used through <c>HostedBudgetStore</c> (package BudgetChat.Http), which is atomic.
/// </summary>
/// <remarks>
/// <para>
/// Not atomic across processes: each change reads the project, changes it and writes it back, and reservations are
/// held only in this process (the API has no place for them). Periods follow LiteLLM's <c>BudgetManager</c>:
/// <c>duration</c> is a number of days, and a window starts at <c>last_updated_at</c> (or <c>created_at</c> when an
/// entry has none), which only a reset moves: a charge leaves it alone, and once the duration has passed the spend is
/// cleared and <c>last_updated_at</c> set to now, as LiteLLM's <c>reset_on_duration</c> does. <c>created_at</c> is
/// written once, when a budget is created. A duration is read by <see cref="LiteLlmUserDict.PeriodOfDays"/>, as the
/// budget service reads it; an answer with one LiteLLM never writes (2 days, say) is refused with an exception naming
/// the user, not read as a budget that never resets. Users go by their own names (<see cref="LiteLlmUserDict"/>); a
/// budget that is no user (<c>global</c>) has no place in LiteLLM's dict and is refused with an
/// <see cref="ArgumentException"/>, and so is a definition of more than one limit or one that only observes: an entry
/// holds one limit, in US dollars on every model. An hourly or minutely budget is written as the fraction of a day
/// LiteLLM's arithmetic takes (<see cref="LiteLlmUserDict.DurationDays"/>). Alerts are not raised.
/// </para>
/// <para>
/// When the server cannot be reached the store throws <see cref="BudgetStoreUnavailableException"/>; a refused key
/// throws <see cref="UnauthorizedAccessException"/>; a request the server rejects throws <see cref="ArgumentException"/>.
/// This type is thread-safe: within one instance, changes are serialised.
/// </para>
/// </remarks>
public sealed class LiteLlmServerBudgetStore : IBudgetStore, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _baseAddress;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Project, string Id), Hold> _holds = [];
    private readonly Dictionary<(string Project, string Id), Ended> _completed = [];

    /// <summary>Initializes a new instance of the <see cref="LiteLlmServerBudgetStore"/> class.</summary>
    /// <param name="httpClient">The client to send requests with; timeouts and retries are its handlers' business.</param>
    /// <param name="baseAddress">The server's address, for example <c>https://api.litellm.ai/</c>.</param>
    /// <param name="apiKey">Sent as a bearer token, or <see langword="null"/> for none. Never logged or put in exception messages.</param>
    /// <param name="headers">
    /// Sent, as given, with every request (LiteLLM's <c>headers=</c>), or <see langword="null"/> for none: an
    /// <c>Authorization</c> header instead of <paramref name="apiKey"/>, a gateway's key. A <c>Content-Type</c> of
    /// <c>application/json</c>, LiteLLM's default, is allowed and left to the body. Values are never put in exception messages.
    /// </param>
    /// <param name="timeProvider">The clock of periods and in-process holds, or <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="baseAddress"/> is not an absolute http or https URI, the key is blank or has control characters,
    /// or a header is invalid or an <c>Authorization</c> header comes with a key.
    /// </exception>
    public LiteLlmServerBudgetStore(HttpClient httpClient, Uri baseAddress, string? apiKey = null, IEnumerable<KeyValuePair<string, string>>? headers = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The budget server's address must be an absolute http or https URI.", nameof(baseAddress));
        }

        if (apiKey is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
            if (apiKey.Any(char.IsControl))
            {
                throw new ArgumentException("The API key must not have control characters.", nameof(apiKey)); // never the key itself
            }
        }

        KeyValuePair<string, string>[] extra = [.. headers ?? []];
        if (RequestHeaderRules.Problems(extra, nameof(headers), apiKey is null ? null : nameof(apiKey)).FirstOrDefault() is { } problem)
        {
            throw new ArgumentException(problem, nameof(headers));
        }

        _http = httpClient;
        _baseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _authorization = apiKey is null ? null : new AuthenticationHeaderValue("Bearer", apiKey);
        _headers = extra;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the server's address.</summary>
    public Uri BaseAddress => _baseAddress;

    /// <inheritdoc/>
    public async ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        JsonObject users = await LoadAsync(project, cancellationToken).ConfigureAwait(false);
        return users[Name(key)] is JsonObject entry ? ToState(project, key, entry) : null;
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        CheckOneLimit(definition);
        return ChangeAsync(project, users =>
        {
            DateTimeOffset now = _timeProvider.GetUtcNow();
            string user = Name(key);
            JsonObject entry = users[user] as JsonObject ?? NewEntry(createdAt ?? now);
            users[user] = entry;
            entry["total_budget"] = definition.Limit;
            entry["duration"] = Duration(definition.Period);
            if (createdAt is { } start)
            {
                // A new budget was created then; an existing one keeps its creation time and counts its windows from
                // then, as the other stores do.
                entry["last_updated_at"] = UnixSeconds(start);
            }

            return (true, ToState(project, key, entry));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Budget(project, key, definition);
        CheckOneLimit(definition);
        return ChangeAsync(project, users =>
        {
            string user = Name(key);
            if (users[user] is JsonObject existing)
            {
                return (false, ToState(project, key, existing));
            }

            JsonObject entry = NewEntry(_timeProvider.GetUtcNow());
            entry["total_budget"] = definition.Limit;
            entry["duration"] = Duration(definition.Period);
            users[user] = entry;
            return (true, ToState(project, key, entry));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        return ChangeAsync(project, users =>
        {
            bool removed = users.Remove(Name(key));
            return (removed, removed);
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Project(project);
        JsonObject users = await LoadAsync(project, cancellationToken).ConfigureAwait(false);
        return users
            .Where(u => u.Value is JsonObject)
            .Select(u => ToState(project, Key(u.Key), (JsonObject)u.Value!))
            .OrderBy(b => b.Key, StringComparer.Ordinal)
            .ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Reserve(project, keys, amount, reservationId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTimeOffset now = _timeProvider.GetUtcNow();
            foreach (var expired in _holds.Where(h => h.Value.ExpiresAt <= now).Select(h => h.Key).ToArray())
            {
                _holds.Remove(expired);
            }

            decimal cost = BudgetAmounts.Normalize(amount.Cost);
            if (_completed.TryGetValue((project, reservationId), out Ended? ended))
            {
                return BudgetIdRules.Reservation(BudgetIdRules.Repeat(ended.State, ReservationState.Active, sameParameters: false));
            }

            if (_holds.TryGetValue((project, reservationId), out Hold? held))
            {
                return BudgetIdRules.Reservation(BudgetIdRules.Repeat(ReservationState.Active, ReservationState.Active, held.Amount == cost && held.Keys.SequenceEqual(keys)));
            }

            JsonObject users = await LoadAsync(project, cancellationToken).ConfigureAwait(false);
            BudgetState? observed = null;
            foreach (string key in keys)
            {
                if (users[Name(key)] is not JsonObject entry)
                {
                    return BudgetReservationResult.NotFound(key);
                }

                BudgetState budget = ToState(project, key, entry);
                if (budget.Limit - budget.Spent - budget.Reserved < cost)
                {
                    // An observing reservation is held anyway, and says which budget would have refused it.
                    if (!amount.Observe)
                    {
                        return BudgetReservationResult.Insufficient(budget);
                    }

                    observed ??= budget;
                }
            }

            _holds[(project, reservationId)] = new Hold([.. keys], cost, expiresAt);
            return observed is null ? BudgetReservationResult.Reserved : BudgetReservationResult.ReservedDespite(observed, observed.Windows[0]);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Settle(project, reservationId, actualCost);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            decimal cost = BudgetAmounts.Normalize(actualCost.Cost);
            string? model = actualCost.Model;
            if (_completed.TryGetValue((project, reservationId), out Ended? ended))
            {
                return BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Settled, ended.Amount == cost));
            }

            if (!_holds.TryGetValue((project, reservationId), out Hold? hold))
            {
                return BudgetCompletion.NotFound;
            }

            JsonObject users = await LoadAsync(project, cancellationToken).ConfigureAwait(false);
            AddCost(users, hold.Keys.Where(k => users[Name(k)] is JsonObject), cost, model);
            await SaveAsync(project, users, cancellationToken).ConfigureAwait(false);
            _holds.Remove((project, reservationId));
            Remember(project, reservationId, ReservationState.Settled, [], cost);
            return BudgetCompletion.Completed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>The holds of this client are kept in its own memory (the server has none), so renewing is local.</remarks>
    public async ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Renew(project, reservationId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_completed.ContainsKey((project, reservationId)))
            {
                return BudgetRenewalStatus.Ended;
            }

            if (!_holds.TryGetValue((project, reservationId), out Hold? hold))
            {
                return BudgetRenewalStatus.NotFound;
            }

            if (hold.ExpiresAt <= _timeProvider.GetUtcNow())
            {
                return BudgetRenewalStatus.Expired;
            }

            if (expiresAt > hold.ExpiresAt)
            {
                _holds[(project, reservationId)] = hold with { ExpiresAt = expiresAt };
            }

            return BudgetRenewalStatus.Renewed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Release(project, reservationId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_completed.TryGetValue((project, reservationId), out Ended? ended))
            {
                return BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Released, sameParameters: true));
            }

            if (!_holds.Remove((project, reservationId), out Hold? hold))
            {
                return BudgetCompletion.NotFound;
            }

            Remember(project, reservationId, ReservationState.Released, [], hold.Amount);
            return BudgetCompletion.Completed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Charge(project, keys, amount, chargeId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            decimal cost = BudgetAmounts.Normalize(amount.Cost);
            string? model = amount.Model;
            if (_completed.TryGetValue((project, chargeId), out Ended? ended))
            {
                return BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Charged, ended.Amount == cost && ended.Keys.SequenceEqual(keys)));
            }

            if (_holds.ContainsKey((project, chargeId)))
            {
                return BudgetCompletion.Conflicting(BudgetConflict.Reserved);
            }

            JsonObject users = await LoadAsync(project, cancellationToken).ConfigureAwait(false);
            if (keys.FirstOrDefault(k => users[Name(k)] is not JsonObject) is { } missing)
            {
                throw new BudgetNotFoundException(project, missing, null);
            }

            AddCost(users, keys, cost, model);
            await SaveAsync(project, users, cancellationToken).ConfigureAwait(false);
            Remember(project, chargeId, ReservationState.Charged, [.. keys], cost);
            return BudgetCompletion.Completed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        BudgetStoreArguments.Key(project, key);
        return ChangeAsync<BudgetState?>(project, users =>
        {
            if (users[Name(key)] is not JsonObject entry)
            {
                return (false, null);
            }

            ClearSpend(entry, _timeProvider.GetUtcNow());
            return (true, ToState(project, key, entry));
        }, cancellationToken);
    }

    /// <summary>Does nothing: LiteLLM's API cannot list projects, so windows roll over when a project is next read.</summary>
    /// <param name="cancellationToken">Not used.</param>
    /// <returns>Zero.</returns>
    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

    private async ValueTask<T> ChangeAsync<T>(string project, Func<JsonObject, (bool Changed, T Result)> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            JsonObject users = await LoadAsync(project, cancellationToken).ConfigureAwait(false);
            (bool changed, T result) = change(users);
            if (changed)
            {
                await SaveAsync(project, users, cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<JsonObject> LoadAsync(string project, CancellationToken cancellationToken)
    {
        JsonObject answer = await PostAsync("get_budget", new JsonObject { ["project_name"] = project }, project, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The budget server's /get_budget answer is not a JSON object.");

        // LiteLLM answers an unknown project with an error status: a project without budgets.
        if (answer["status"]?.GetValue<string>() != "success" || answer["data"] is not JsonObject data)
        {
            return [];
        }

        DateTimeOffset now = _timeProvider.GetUtcNow();
        foreach (KeyValuePair<string, JsonNode?> user in data)
        {
            if (user.Value is not JsonObject entry)
            {
                continue;
            }

            DateTimeOffset? end;
            try
            {
                // Every field a state is read from that can be invalid (money that is not a number reads as 0), so
                // that an invalid entry is reported here, with its name.
                _ = Time(entry, "created_at");
                _ = Time(entry, "last_updated_at");
                end = WindowEnd(entry);
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"The budget server's /get_budget answer for project '{project}' has an invalid entry '{user.Key}': {ex.Message}", ex);
            }

            if (end is not null && LiteLlmUserDict.HasEnded(DurationDays(entry)!.Value, WindowStart(entry)!.Value, now))
            {
                ClearSpend(entry, now); // LiteLLM's reset_on_duration: the window restarts now
            }
        }

        return data;
    }

    private async Task SaveAsync(string project, JsonObject users, CancellationToken cancellationToken)
    {
        users.Parent?.AsObject().Remove("data");
        JsonObject? answer = await PostAsync("set_budget", new JsonObject { ["project_name"] = project, ["user_dict"] = users }, project, cancellationToken).ConfigureAwait(false);
        if (answer?["status"]?.GetValue<string>() != "success")
        {
            throw new InvalidOperationException($"The budget server did not save project '{project}': {answer?["message"]?.ToJsonString() ?? "no message"}");
        }
    }

    // Sends one request; what goes wrong becomes the exceptions a store throws (see the class remarks). LiteLLM answers
    // an unknown project with 404 or an error body, which the callers read as a project without budgets.
    private async Task<JsonObject?> PostAsync(string route, JsonObject body, string project, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseAddress, route)) { Content = JsonContent.Create<JsonNode>(body, JsonNodeType) };
        request.Headers.Authorization = _authorization;
        RequestHeaderRules.Apply(request.Headers, _headers);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BudgetStoreUnavailableException($"The budget server at {_baseAddress} cannot be reached: {ex.Message}", ex);
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            {
                string detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new UnauthorizedAccessException(
                        _authorization is null && !RequestHeaderRules.HasAuthorization(_headers)
                            ? $"The budget server at {_baseAddress} needs an API key for project '{project}' ({status}) and none was sent. Pass one as the apiKey argument, or as an Authorization header in headers."
                            : $"The budget server at {_baseAddress} did not accept the API key for project '{project}' ({status})."),
                    HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError => new BudgetStoreUnavailableException(
                        $"The budget server at {_baseAddress} answered {status} {response.ReasonPhrase} to /{route}: {detail}"),
                    _ => new ArgumentException($"The budget server rejected /{route} for project '{project}' ({status}): {detail}"),
                };
            }

            try
            {
                return await response.Content.ReadFromJsonAsync(JsonNodeType, cancellationToken).ConfigureAwait(false) as JsonObject;
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"The budget server at {_baseAddress} answered /{route} with JSON this client cannot read: {ex.Message}", ex);
            }
        }
    }

    private static JsonTypeInfo<JsonNode> JsonNodeType => (JsonTypeInfo<JsonNode>)JsonSerializerOptions.Default.GetTypeInfo(typeof(JsonNode));

    private static void AddCost(JsonObject users, IEnumerable<string> keys, decimal amount, string? model)
    {
        // LiteLLM's update_cost: last_updated_at is the start of the window, which a charge does not move.
        foreach (string key in keys)
        {
            var entry = (JsonObject)users[Name(key)]!;
            entry["current_cost"] = Number(entry, "current_cost") + amount;
            if (model is not null)
            {
                JsonObject models = entry["model_cost"] as JsonObject ?? [];
                models[model] = Number(models, model) + amount;
                entry["model_cost"] = models;
            }
        }
    }

    private void Remember(string project, string id, ReservationState state, string[] keys, decimal amount)
    {
        // Ids are remembered for an hour, with how they ended: long enough for any retry of the same call.
        DateTimeOffset now = _timeProvider.GetUtcNow();
        foreach (var old in _completed.Where(c => c.Value.ForgetAt <= now).Select(c => c.Key).ToArray())
        {
            _completed.Remove(old);
        }

        _completed[(project, id)] = new Ended(state, keys, amount, now.AddHours(1));
    }

    private decimal HeldOn(string project, string key) =>
        _holds.Where(h => h.Key.Project == project && h.Value.Keys.Contains(key)).Sum(h => h.Value.Amount);

    private BudgetState ToState(string project, string key, JsonObject entry)
    {
        BudgetPeriod period = Period(entry["duration"]);
        DateTimeOffset windowStart = WindowStart(entry) ?? _timeProvider.GetUtcNow();
        DateTimeOffset created = Time(entry, "created_at") ?? windowStart;
        var spendByModel = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (entry["model_cost"] is JsonObject models)
        {
            foreach (KeyValuePair<string, JsonNode?> m in models)
            {
                spendByModel[m.Key] = Number(models, m.Key);
            }
        }

        return new BudgetState
        {
            Project = project,
            Key = key,
            Definition = new BudgetDefinition(Math.Max(0m, Number(entry, "total_budget")), period, BudgetWindowAlignment.Rolling),
            WindowStart = windowStart,
            WindowEnd = WindowEnd(entry),
            Spent = Number(entry, "current_cost"),
            Reserved = HeldOn(project, key),
            SpendByModel = spendByModel,
            CreatedAt = created,
            UpdatedAt = windowStart, // LiteLLM keeps no time of the last charge: its last reset, as user_cost.json is read
        };
    }

    private static JsonObject NewEntry(DateTimeOffset createdAt) => new()
    {
        ["total_budget"] = 0m,
        ["duration"] = null,
        ["created_at"] = UnixSeconds(createdAt),
        ["last_updated_at"] = UnixSeconds(createdAt),
        ["current_cost"] = 0m,
        ["model_cost"] = new JsonObject(),
    };

    private static void ClearSpend(JsonObject entry, DateTimeOffset now)
    {
        entry["current_cost"] = 0m;
        entry["model_cost"] = new JsonObject();
        entry["last_updated_at"] = UnixSeconds(now); // a new window; created_at stays the budget's creation
    }

    // LiteLLM's window start: reset_on_duration counts from last_updated_at, which create_budget sets to created_at.
    private static DateTimeOffset? WindowStart(JsonObject entry) => Time(entry, "last_updated_at") ?? Time(entry, "created_at");

    // The window lasts the entry's own duration (31 days, say, as a budget service writes a calendar month), not the
    // days LiteLLM's create_budget writes for its period.
    private static DateTimeOffset? WindowEnd(JsonObject entry) => DurationDays(entry) is { } days
        ? WindowStart(entry)?.AddTicks((long)decimal.Round(days * TimeSpan.TicksPerDay)) // 1/1440 of a day is a minute, to the tick
        : null;

    private static decimal? DurationDays(JsonObject entry)
    {
        BudgetPeriod period = Period(entry["duration"]);
        if (period == BudgetPeriod.None)
        {
            return null;
        }

        return entry["duration"]!.GetValueKind() == JsonValueKind.Number ? ParseDecimal(entry["duration"]!) : LiteLlmUserDict.DurationDays(period);
    }

    // LiteLLM's user_dict holds users only, each under its own name; a budget of another key has no place in it.
    private static string Name(string key) =>
        LiteLlmUserDict.ToName(key) is { } user && !string.IsNullOrWhiteSpace(user)
            ? user
            : throw new ArgumentException($"LiteLLM's budget API keeps the budgets of named users only ('user:<name>'); '{key}' is none.", nameof(key));

    private static string Key(string name) => LiteLlmUserDict.ToKey(name);

    // LiteLLM keeps a duration as days (1, 7, 28, 365; 1/24 for an hour) and multiplies it by 86,400; null or absent means no period.
    private static decimal? Duration(BudgetPeriod period) => period == BudgetPeriod.None ? null : LiteLlmUserDict.DurationDays(period);

    // An entry of LiteLLM's dict holds one limit, enforced: anything more would be dropped without a word.
    private static void CheckOneLimit(BudgetDefinition definition)
    {
        if (definition.Limits.Count > 1 || definition.Enforcement != BudgetEnforcement.Enforce)
        {
            throw new ArgumentException(
                $"LiteLLM's budget API keeps one limit per user, in US dollars on every model, always enforced; this definition has {definition.Limits.Count} limits ({string.Join(", ", definition.Limits.Select(l => l.Name))}) and enforcement {definition.Enforcement}. Use HostedBudgetStore (package BudgetChat.Http) with a BudgetChat budget service for budget policies.",
                nameof(definition));
        }
    }

    // Days as LiteLLM writes them, by the rule user_cost.json and the budget service are read with, or the
    // period's name as some servers keep it. Anything else is refused: read as no period, it would never reset.
    private static BudgetPeriod Period(JsonNode? duration) => duration?.GetValueKind() switch
    {
        null => BudgetPeriod.None,
        JsonValueKind.Number when ParseDecimal(duration) is { } days && LiteLlmUserDict.PeriodOfDays(days) is { } period => period,
        JsonValueKind.String when BudgetPeriodNames.TryParse(duration.GetValue<string>(), out BudgetPeriod named) && named != BudgetPeriod.None => named,
        _ => throw new FormatException($"'duration' is {duration.ToJsonString()}; LiteLLM budgets last 1, 7, 28 to 31 (whole days), 365 or 366 days, 1/24 or 1/1440 of a day, or are daily, weekly, monthly or yearly."),
    };

    private static decimal Number(JsonObject entry, string name) => entry[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => decimal.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => 0m,
    };

    private static DateTimeOffset? Time(JsonObject entry, string name) => entry[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        ? (ParseDecimal(v) is { } seconds ? LiteLlmUserDict.FromUnixSeconds(seconds) : null) ?? throw new FormatException($"'{name}' is not a time in Unix seconds: {v.ToJsonString()}.")
        : null;

    // A node parsed from JSON and one this class set from a number read the same way; null if beyond a decimal.
    private static decimal? ParseDecimal(JsonNode number) =>
        decimal.TryParse(number.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal value) ? value : null;

    private static decimal UnixSeconds(DateTimeOffset instant) => LiteLlmUserDict.ToUnixSeconds(instant);

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    private sealed record Hold(string[] Keys, decimal Amount, DateTimeOffset ExpiresAt);

    private sealed record Ended(ReservationState State, string[] Keys, decimal Amount, DateTimeOffset ForgetAt);
}
