using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace BudgetChat.Stores;

/// <summary>
/// The budgets and reservations of one project, and the rules of the store contract applied to them: atomic
/// reservation across keys, idempotent completion by id, reclaim on expiry, lazy window rollover.
/// </summary>
/// <remarks>Not thread-safe: the owning store serializes access. Every operation takes the current time.</remarks>
public sealed class BudgetLedger
{
    private readonly string _project;
    private readonly BudgetStoreOptions _options;
    private readonly Dictionary<string, Entry> _budgets = new(StringComparer.Ordinal);

    // Reservations in flight (active) or reclaimed on expiry (still settle-able): few, since they follow the calls in
    // flight rather than the call rate. _nextExpiry is the earliest expiry among the active ones.
    private readonly Dictionary<string, Reservation> _reservations = new(StringComparer.Ordinal);
    private DateTimeOffset _nextExpiry = DateTimeOffset.MaxValue;

    // Ids that ended (settled, released, charged), remembered for CompletedIdRetention so a retry is answered as the
    // first call was. One is kept for every call, so it is a struct in the table: only the id string outlives the call,
    // which keeps the memory and the garbage collector's work per remembered id small.
    private readonly Dictionary<string, EndedId> _ended = new(StringComparer.Ordinal);

    // The ids to forget (reclaimed or ended), in the order they come due; see Maintain.
    private readonly Queue<(string Id, long ForgetAt)> _forget = new();

    /// <summary>Initializes a new instance of the <see cref="BudgetLedger"/> class.</summary>
    /// <param name="project">The project whose budgets it keeps.</param>
    /// <param name="options">The time zone and the retention of completed ids.</param>
    /// <exception cref="ArgumentException">The project is empty or an option is invalid.</exception>
    public BudgetLedger(string project, BudgetStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _project = project;
        _options = options;
    }

    /// <summary>
    /// Gets a number that changes whenever the ledger's state does (including lazy rollover and reclaim during reads),
    /// so a store that persists operations can tell whether one changed anything.
    /// </summary>
    public long Version { get; private set; }

    /// <summary>
    /// Gets or sets where the ledger records the keys of the budgets and the ids of the reservations it changes, so a
    /// store that persists them can write only those; <see langword="null"/> (the default) records nothing.
    /// </summary>
    public BudgetLedgerChanges? Changes { get; set; }

    /// <summary>
    /// Gets or sets where the ledger adds the spend records of the operations it applies (<see cref="BudgetSpendRecord"/>):
    /// one per settle and charge, from the usage's <see cref="BudgetUsage.Record"/>, and one per reset, deletion and
    /// moved window of a budget that spent; <see langword="null"/> (the default) records nothing. A store that keeps a
    /// spend ledger writes them in the same transaction as the rest of the operation, so they add up to the spend.
    /// </summary>
    public ICollection<BudgetSpendRecord>? Records { get; set; }

    /// <summary>Gets a budget, rolling its window over first if it has ended.</summary>
    /// <param name="key">The budget's key.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The budget, or <see langword="null"/> when the key has none.</returns>
    public BudgetState? Get(string key, DateTimeOffset now)
    {
        Maintain(now);
        return _budgets.TryGetValue(key, out Entry? entry) ? Touch(key, entry, now).Snapshot(_project, key, now) : null;
    }

    /// <summary>Creates a budget, or changes an existing one's definition keeping its spend (<see cref="IBudgetStore.SetBudgetAsync"/>).</summary>
    /// <param name="key">The budget's key.</param>
    /// <param name="definition">The limit and period.</param>
    /// <param name="createdAt">The creation time of a new budget, or the window start of an existing one; <see langword="null"/> for now or to keep it.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The budget after the change.</returns>
    public BudgetState Set(string key, BudgetDefinition definition, DateTimeOffset? createdAt, DateTimeOffset now)
    {
        Maintain(now);
        if (!_budgets.TryGetValue(key, out Entry? entry))
        {
            return Create(key, definition, createdAt ?? now, now);
        }

        Touch(key, entry, now);
        DateTimeOffset windowStart = entry.WindowStart;
        bool sameThresholds = entry.Definition.AlertThresholds.SequenceEqual(definition.AlertThresholds);
        if (!sameThresholds)
        {
            entry.AlertsRaised = 0;
        }

        // Without a new start every window is kept: the anchor moves to the main window's start only when the main
        // limit's period or alignment changes, so that the other limits' rolling windows (and what they counted) stay.
        bool sameMainWindow = entry.Definition.Period == definition.Period && entry.Definition.Alignment == definition.Alignment;
        entry.Anchor = createdAt ?? (sameMainWindow ? entry.Anchor : entry.WindowStart);
        entry.Redefine(definition, sameThresholds, now, _options.TimeZone);
        if (entry.Extra is not null)
        {
            HoldActiveReservations(entry);
        }

        if (entry.WindowStart != windowStart)
        {
            // The spend is kept but the window it is counted in moved: later records count from what it carries.
            Checkpoint(key, BudgetSpendOutcome.Adjusted, entry.Spent, "window moved", now);
        }

        entry.UpdatedAt = now;
        Version++;
        MarkBudget(key);
        return entry.Snapshot(_project, key, now);
    }

    /// <summary>Creates a budget unless the key has one already (<see cref="IBudgetStore.GetOrCreateBudgetAsync"/>).</summary>
    /// <param name="key">The budget's key.</param>
    /// <param name="definition">The definition of a new budget.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The existing or the new budget.</returns>
    public BudgetState GetOrCreate(string key, BudgetDefinition definition, DateTimeOffset now)
    {
        Maintain(now);
        return _budgets.TryGetValue(key, out Entry? entry)
            ? Touch(key, entry, now).Snapshot(_project, key, now)
            : Create(key, definition, now, now);
    }

    /// <summary>Deletes a budget; reservations that held on it no longer do.</summary>
    /// <param name="key">The budget's key.</param>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when a budget was deleted.</returns>
    public bool Delete(string key, DateTimeOffset now)
    {
        Maintain(now);
        if (!_budgets.Remove(key, out Entry? removed))
        {
            return false;
        }

        removed.Deleted = true;
        Checkpoint(key, BudgetSpendOutcome.Reset, 0m, "deleted", now);

        Version++;
        MarkBudget(key);
        if (Changes is not null)
        {
            // The reservations that held on the deleted budget no longer do: their saved records change too.
            foreach (Reservation reservation in _reservations.Values)
            {
                if (Array.IndexOf(reservation.Budgets, removed) >= 0)
                {
                    MarkReservation(reservation.Id);
                }
            }

            foreach (KeyValuePair<string, EndedId> pair in _ended)
            {
                if (Array.IndexOf(pair.Value.Budgets, removed) >= 0)
                {
                    MarkReservation(pair.Key);
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Reads a page of the budgets with totals over all of them, making a <see cref="BudgetState"/> only for those on the
    /// page: a dashboard's view of 100,000 budgets costs a pass over them, not 100,000 snapshots.
    /// </summary>
    /// <param name="query">The page, order and search.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentException"><paramref name="query"/> is not valid; the message names the value.</exception>
    public BudgetListPage List(BudgetListQuery query, DateTimeOffset now)
    {
        var selector = new BudgetListSelector<Entry>(query);
        Maintain(now);
        foreach (KeyValuePair<string, Entry> pair in _budgets)
        {
            Entry entry = Touch(pair.Key, pair.Value, now);
            selector.Add(pair.Key, entry.Definition.Limit, entry.Spent, entry.Reserved, entry.Used, selector.NeedsRunOut ? entry.SoonestRunOut(now) : null, entry);
        }

        return selector.ToPage(entry => entry.Snapshot(_project, entry.Key, now));
    }

    /// <summary>Lists the budgets, ordered by key.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The budgets.</returns>
    public IReadOnlyList<BudgetState> List(DateTimeOffset now)
    {
        Maintain(now);
        var list = new List<BudgetState>(_budgets.Count);
        foreach (KeyValuePair<string, Entry> pair in _budgets)
        {
            list.Add(Touch(pair.Key, pair.Value, now).Snapshot(_project, pair.Key, now));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    /// <summary>Holds an amount on every key, or on none (<see cref="IBudgetStore.ReserveAsync"/>).</summary>
    /// <param name="keys">The keys, checked by <see cref="BudgetStoreArguments.Reserve"/>.</param>
    /// <param name="amount">The cost, tokens and model to hold for; <see cref="BudgetUsage.Observe"/> holds it even where a limit refuses.</param>
    /// <param name="reservationId">The caller's id for the reservation.</param>
    /// <param name="expiresAt">When the reservation is reclaimed.</param>
    /// <param name="now">The current time.</param>
    /// <returns>Whether the amount is held, and if not, which key refused or what the id is already used for.</returns>
    public BudgetReservationResult Reserve(IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        Maintain(now);
        amount = Normalize(amount);
        if (_ended.TryGetValue(reservationId, out EndedId ended))
        {
            return BudgetIdRules.Reservation(BudgetIdRules.Repeat(ended.State, ReservationState.Active, sameParameters: false));
        }

        // One hash of the id for the common case, a new id: its place in the table is taken now and given back if the
        // reservation is not made.
        ref Reservation? place = ref CollectionsMarshal.GetValueRefOrAddDefault(_reservations, reservationId, out bool exists);
        if (exists)
        {
            return BudgetIdRules.Reservation(BudgetIdRules.Repeat(place!.State, ReservationState.Active, place.Holds(amount) && HasKeys(place.Budgets, keys)));
        }

        try
        {
            BudgetReservationResult result = ReserveNew(keys, amount, reservationId, expiresAt, now, ref place);
            if (place is null)
            {
                _reservations.Remove(reservationId);
            }

            return result;
        }
        catch
        {
            _reservations.Remove(reservationId);
            throw;
        }
    }

    // place: the reservation's entry in the table, still null; set when the reservation is made.
    private BudgetReservationResult ReserveNew(IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, DateTimeOffset now, ref Reservation? place)
    {
        // A reservation on one budget, the usual kind, shares that budget's array of itself.
        Entry[]? entries = keys.Count == 1 ? null : new Entry[keys.Count];
        Refusal refused = default;
        Refusal observed = default;
        for (int i = 0; i < keys.Count; i++)
        {
            if (!_budgets.TryGetValue(keys[i], out Entry? entry))
            {
                return BudgetReservationResult.NotFound(keys[i]);
            }

            Touch(keys[i], entry, now);
            if (entries is null)
            {
                entries = entry.Alone;
            }
            else
            {
                entries[i] = entry;
            }

            // Every limit of every key is looked at, so that the refusal reported is the one that lasts longest.
            bool observes = amount.Observe || entry.Definition.Enforcement == BudgetEnforcement.Observe;
            if (!Entry.Fits(amount.Cost, entry.Definition.Limit, entry.Spent, entry.Reserved))
            {
                Refusal.Keep(ref observes ? ref observed : ref refused, new Refusal(entry, -1, entry.WindowEnd, entry.Available));
            }

            if (entry.Extra is { } extra)
            {
                for (int w = 0; w < extra.Length; w++)
                {
                    Window window = extra[w];
                    if (window.Limit.AppliesTo(amount.Model) && !Entry.Fits(amount.In(window.Limit.Unit), window.Limit.Amount, window.Spent, window.Reserved))
                    {
                        Refusal.Keep(ref observes ? ref observed : ref refused, new Refusal(entry, w, window.End, window.Available));
                    }
                }
            }
        }

        if (refused.Entry is { } refusing)
        {
            BudgetState budget = refusing.Snapshot(_project, refusing.Key, now);
            return BudgetReservationResult.Insufficient(budget, budget.Windows[refused.Window + 1]);
        }

        for (int i = 0; i < entries!.Length; i++)
        {
            entries[i].Hold(amount, +1);
            entries[i].UpdatedAt = now;
            MarkBudget(keys[i]);
        }

        var reservation = new Reservation(reservationId, entries, amount, expiresAt);
        place = reservation;
        NoteExpiry(reservation);
        Version++;
        MarkReservation(reservationId);
        if (observed.Entry is { } observing)
        {
            BudgetState budget = observing.Snapshot(_project, observing.Key, now);
            return BudgetReservationResult.ReservedDespite(budget, budget.Windows[observed.Window + 1]);
        }

        return BudgetReservationResult.Reserved;
    }

    /// <summary>Ends a reservation, charging the actual cost (<see cref="IBudgetStore.SettleAsync"/>).</summary>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="actualCost">What the call cost, its tokens, and the model it is recorded against (the reservation's when <see langword="null"/>, for per-model caps).</param>
    /// <param name="now">The current time.</param>
    /// <returns>What happened, and the alerts the charge raised.</returns>
    public BudgetCompletion Settle(string reservationId, BudgetUsage actualCost, DateTimeOffset now)
    {
        Maintain(now);
        actualCost = Normalize(actualCost) with { Record = actualCost.Record };
        if (!_reservations.TryGetValue(reservationId, out Reservation? reservation))
        {
            return _ended.TryGetValue(reservationId, out EndedId ended)
                ? BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Settled, ended.Amount == actualCost.Cost && ended.Tokens == actualCost.Tokens))
                : BudgetCompletion.NotFound;
        }

        bool holds = reservation.State == ReservationState.Active;
        List<BudgetAlert>? alerts = null;
        foreach (Entry entry in reservation.Budgets)
        {
            if (entry.Deleted)
            {
                continue;
            }

            Touch(entry.Key, entry, now);
            if (holds)
            {
                entry.Hold(reservation.Usage, -1);
            }

            // Per-model caps count the model that answered, or the one asked for when the settle names none.
            ChargeEntry(entry, entry.Key, actualCost, actualCost.Model ?? reservation.Usage.Model, countRequest: false, now, ref alerts);
        }

        // The amount remembered is the cost charged, which a retried settle must repeat.
        Complete(reservation, ReservationState.Settled, actualCost, now);
        if (Records is not null)
        {
            Record(reservationId, KeysOf(reservation.Budgets), actualCost, actualCost.Model ?? reservation.Usage.Model, reservation.Amount, now);
        }

        return alerts is null ? BudgetCompletion.Completed : BudgetCompletion.CompletedWith(alerts);
    }

    /// <summary>Ends a reservation without charging (<see cref="IBudgetStore.ReleaseAsync"/>).</summary>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="now">The current time.</param>
    /// <returns>What happened.</returns>
    public BudgetCompletion Release(string reservationId, DateTimeOffset now)
    {
        Maintain(now);
        if (!_reservations.TryGetValue(reservationId, out Reservation? reservation))
        {
            return _ended.TryGetValue(reservationId, out EndedId ended)
                ? BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Released, sameParameters: true))
                : BudgetCompletion.NotFound;
        }

        if (reservation.State == ReservationState.Active)
        {
            Unhold(reservation, now);
        }

        Complete(reservation, ReservationState.Released, reservation.Usage, now);
        return BudgetCompletion.Completed;
    }

    /// <summary>Extends an active reservation's expiry (<see cref="IBudgetStore.RenewAsync"/>); an expiry is never moved earlier.</summary>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="expiresAt">The new expiry.</param>
    /// <param name="now">The current time.</param>
    /// <returns>Whether the reservation still holds, now until at least <paramref name="expiresAt"/>, or why not.</returns>
    public BudgetRenewalStatus Renew(string reservationId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        Maintain(now);
        if (!_reservations.TryGetValue(reservationId, out Reservation? reservation))
        {
            return _ended.ContainsKey(reservationId) ? BudgetRenewalStatus.Ended : BudgetRenewalStatus.NotFound;
        }

        if (reservation.State == ReservationState.Reclaimed)
        {
            return BudgetRenewalStatus.Expired;
        }

        if (expiresAt > reservation.ExpiresAt)
        {
            // The next expiry due can only move later, so the earliest one recorded still bounds the scan.
            reservation.ExpiresAt = expiresAt;
            Version++;
            MarkReservation(reservationId);
        }

        return BudgetRenewalStatus.Renewed;
    }

    /// <summary>Charges every key without a reservation, even past a limit (<see cref="IBudgetStore.ChargeAsync"/>).</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="amount">The cost, tokens and model; request limits count one request.</param>
    /// <param name="chargeId">The caller's id; a second charge with it charges nothing.</param>
    /// <param name="now">The current time.</param>
    /// <returns>What happened, and the alerts the charge raised; a conflict when the id is a reservation's or another charge's.</returns>
    /// <exception cref="BudgetNotFoundException">A key has no budget; nothing was charged.</exception>
    public BudgetCompletion Charge(IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, DateTimeOffset now)
    {
        Maintain(now);
        amount = Normalize(amount) with { Record = amount.Record };
        if (_reservations.TryGetValue(chargeId, out Reservation? existing))
        {
            return BudgetIdRules.Completion(BudgetIdRules.Repeat(existing.State, ReservationState.Charged, sameParameters: false));
        }

        if (_ended.TryGetValue(chargeId, out EndedId ended))
        {
            return BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Charged, ended.Amount == amount.Cost && ended.Tokens == amount.Tokens && HasKeys(ended.Budgets, keys)));
        }

        foreach (string key in keys)
        {
            if (!_budgets.ContainsKey(key))
            {
                throw new BudgetNotFoundException(_project, key, null);
            }
        }

        List<BudgetAlert>? alerts = null;
        var entries = new Entry[keys.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = _budgets[keys[i]];
            ChargeEntry(Touch(keys[i], entries[i], now), keys[i], amount, amount.Model, countRequest: true, now, ref alerts);
        }

        // A charge's keys and amount are remembered with its id, so that a retry can be told from a conflicting reuse.
        Remember(chargeId, new EndedId(ReservationState.Charged, amount.Cost, amount.Tokens, entries, now.UtcTicks, ForgetAt: 0), now);
        if (Records is not null)
        {
            Record(chargeId, [.. keys], amount, amount.Model, held: 0m, now);
        }

        return alerts is null ? BudgetCompletion.Completed : BudgetCompletion.CompletedWith(alerts);
    }

    /// <summary>Sets a budget's spend to zero and starts a new window (<see cref="IBudgetStore.ResetBudgetAsync"/>).</summary>
    /// <param name="key">The budget's key.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The budget after the reset, or <see langword="null"/> when the key has none.</returns>
    public BudgetState? Reset(string key, DateTimeOffset now)
    {
        Maintain(now);
        if (!_budgets.TryGetValue(key, out Entry? entry))
        {
            return null;
        }

        entry.Anchor = now;
        entry.SetWindow(entry.Definition, now, _options.TimeZone);
        entry.ClearSpend(now, _options.TimeZone);
        Checkpoint(key, BudgetSpendOutcome.Reset, 0m, "reset", now);
        Version++;
        MarkBudget(key);
        return entry.Snapshot(_project, key, now);
    }

    /// <summary>Rolls over every budget whose window has ended and reclaims expired reservations.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>How many budgets rolled over.</returns>
    public int Sweep(DateTimeOffset now)
    {
        Maintain(now);
        int rolled = 0;
        foreach (KeyValuePair<string, Entry> pair in _budgets)
        {
            if (pair.Value.RollOverIfEnded(now, _options.TimeZone))
            {
                rolled++;
                Version++;
                MarkBudget(pair.Key);
            }
        }

        return rolled;
    }

    /// <summary>
    /// Copies the whole state out, for a store that saves it: budgets ordered by key, the reservations that are active or
    /// reclaimed, and the queue of ids to forget in its order. Changes nothing, so saving is not an operation.
    /// </summary>
    /// <returns>The saved state.</returns>
    public SavedLedger Export()
    {
        var budgets = new List<BudgetRecord>(_budgets.Count);
        foreach (KeyValuePair<string, Entry> pair in _budgets)
        {
            budgets.Add(pair.Value.ToRecord(pair.Key));
        }

        budgets.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));

        var reservations = new List<ReservationRecord>(_reservations.Count + _ended.Count);
        foreach (Reservation reservation in _reservations.Values)
        {
            reservations.Add(ToRecord(reservation));
        }

        foreach (KeyValuePair<string, EndedId> pair in _ended)
        {
            reservations.Add(ToRecord(pair.Key, pair.Value));
        }

        var forget = new List<(string Id, DateTimeOffset ForgetAt)>(_forget.Count);
        foreach ((string id, long forgetAt) in _forget)
        {
            // Items whose id is already forgotten, or used again and in flight, change nothing when they come due.
            if (_ended.ContainsKey(id) || (_reservations.TryGetValue(id, out Reservation? reservation) && reservation.State == ReservationState.Reclaimed))
            {
                forget.Add((id, new DateTimeOffset(forgetAt, TimeSpan.Zero)));
            }
        }

        return new SavedLedger(budgets, reservations, forget);
    }

    /// <summary>Copies one budget out, as <see cref="Export"/> would.</summary>
    /// <param name="key">The budget's key.</param>
    /// <returns>The record, or <see langword="null"/> when the key has none.</returns>
    public BudgetRecord? ExportBudget(string key) =>
        _budgets.TryGetValue(key, out Entry? entry) ? entry.ToRecord(key) : null;

    /// <summary>
    /// Copies one reservation id's record out: an active or reclaimed reservation as <see cref="Export"/> would, or a
    /// completed one (without keys) that is only remembered; <paramref name="forgetAt"/> is when its id is forgotten,
    /// <see langword="null"/> while it is active.
    /// </summary>
    /// <param name="id">The reservation or charge id.</param>
    /// <param name="record">The record.</param>
    /// <param name="forgetAt">When the id is forgotten.</param>
    /// <returns><see langword="false"/> when the ledger has no record of the id.</returns>
    public bool TryExportReservation(string id, [NotNullWhen(true)] out ReservationRecord? record, out DateTimeOffset? forgetAt)
    {
        if (_reservations.TryGetValue(id, out Reservation? reservation))
        {
            record = ToRecord(reservation);
            forgetAt = reservation.State == ReservationState.Active ? null : reservation.ForgetAt;
            return true;
        }

        if (_ended.TryGetValue(id, out EndedId ended))
        {
            record = ToRecord(id, ended);
            forgetAt = new DateTimeOffset(ended.ForgetAt, TimeSpan.Zero);
            return true;
        }

        record = null;
        forgetAt = null;
        return false;
    }

    private static ReservationRecord ToRecord(Reservation reservation) =>
        ToRecord(reservation.Id, reservation.State, reservation.Budgets, reservation.Usage, reservation.ExpiresAt);

    private static ReservationRecord ToRecord(string id, EndedId ended) =>
        ToRecord(id, ended.State, ended.Budgets, new BudgetUsage(ended.Amount, ended.Tokens), new DateTimeOffset(ended.ExpiresAt, TimeSpan.Zero));

    private static ReservationRecord ToRecord(string id, ReservationState state, Entry[] budgets, BudgetUsage usage, DateTimeOffset expiresAt)
    {
        string[] keys = new string[budgets.Length];
        bool[] holds = new bool[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = budgets[i].Key;
            holds[i] = !budgets[i].Deleted;
        }

        return new ReservationRecord(id, state, keys, holds, usage.Cost, expiresAt, usage.Tokens, usage.Model);
    }

    /// <summary>Rebuilds a ledger from what <see cref="Export"/> returned, so that it behaves exactly as the exported one.</summary>
    /// <param name="project">The project whose budgets it keeps.</param>
    /// <param name="options">The time zone and the retention of completed ids.</param>
    /// <param name="saved">What <see cref="Export"/> returned.</param>
    /// <returns>The ledger.</returns>
    /// <exception cref="FormatException">The saved state contradicts itself (a key twice, an active reservation queued to be forgotten).</exception>
    public static BudgetLedger Import(string project, BudgetStoreOptions options, SavedLedger saved)
    {
        var ledger = new BudgetLedger(project, options);
        foreach (BudgetRecord budget in saved.Budgets)
        {
            if (!ledger._budgets.TryAdd(budget.Key, Entry.Restore(budget)))
            {
                throw new FormatException($"The budget '{budget.Key}' appears twice.");
            }
        }

        foreach (ReservationRecord record in saved.Reservations)
        {
            if (!Enum.IsDefined(record.State) || record.Keys.Count != record.Holds.Count)
            {
                throw new FormatException($"The reservation '{record.Id}' is malformed.");
            }

            Entry[] budgets = record.Keys.Count == 0 ? [] : new Entry[record.Keys.Count];
            for (int i = 0; i < budgets.Length; i++)
            {
                budgets[i] = (record.Holds[i] ? ledger._budgets.GetValueOrDefault(record.Keys[i]) : null) ?? Entry.Detached(record.Keys[i]);
            }

            if (ledger._reservations.ContainsKey(record.Id) || ledger._ended.ContainsKey(record.Id))
            {
                throw new FormatException($"The reservation '{record.Id}' appears twice.");
            }

            if (record.State is ReservationState.Active or ReservationState.Reclaimed)
            {
                var reservation = new Reservation(record.Id, budgets, new BudgetUsage(record.Amount, record.Tokens, record.Model), record.ExpiresAt) { State = record.State };
                ledger._reservations.Add(record.Id, reservation);
                ledger.NoteExpiry(reservation);
            }
            else
            {
                ledger._ended.Add(record.Id, new EndedId(record.State, record.Amount, record.Tokens, budgets, record.ExpiresAt.UtcTicks, ForgetAt: 0));
            }
        }

        foreach ((string id, DateTimeOffset forgetAt) in saved.ForgetQueue)
        {
            // The last item queued for an id carries its current time, as Remember sets it.
            if (ledger._reservations.TryGetValue(id, out Reservation? reservation))
            {
                if (reservation.State == ReservationState.Active)
                {
                    throw new FormatException($"The reservation '{id}' is active and also queued to be forgotten.");
                }

                reservation.ForgetAt = forgetAt;
            }
            else
            {
                ref EndedId ended = ref CollectionsMarshal.GetValueRefOrAddDefault(ledger._ended, id, out bool known);
                ended = known
                    ? ended with { ForgetAt = forgetAt.UtcTicks }
                    : new EndedId(ReservationState.Completed, 0m, 0, [], forgetAt.UtcTicks, forgetAt.UtcTicks);
            }

            ledger._forget.Enqueue((id, forgetAt.UtcTicks));
        }

        // What the other limits hold is not saved: it follows from the active reservations (the restored windows hold nothing yet).
        ledger.HoldActiveReservations(only: null);
        return ledger;
    }

    private BudgetState Create(string key, BudgetDefinition definition, DateTimeOffset createdAt, DateTimeOffset now)
    {
        var entry = new Entry(key, definition, createdAt);
        entry.Redefine(definition, sameThresholds: false, now, _options.TimeZone);
        _budgets.Add(key, entry);
        Version++;
        MarkBudget(key);
        return entry.Snapshot(_project, key, now);
    }

    private Entry Touch(string key, Entry entry, DateTimeOffset now)
    {
        if (entry.RollOverIfEnded(now, _options.TimeZone))
        {
            Version++;
            MarkBudget(key);
        }

        return entry;
    }

    // Reclaims expired reservations and forgets ids past their retention. Both queues are ordered by time, so
    // each operation does only the work that has come due.
    private void Maintain(DateTimeOffset now)
    {
        if (now >= _nextExpiry)
        {
            ReclaimExpired(now);
        }

        long nowTicks = now.UtcTicks;
        while (_forget.TryPeek(out var item) && item.ForgetAt <= nowTicks)
        {
            _forget.Dequeue();
            Version++;
            if (ForgetIfDue(item.Id, nowTicks))
            {
                MarkReservation(item.Id);
            }
        }
    }

    // Only an id whose own time has come: a reclaimed id settled later was queued again for later, and when the clock
    // went backwards an earlier item can outlive its id, which may by then be in flight again.
    private bool ForgetIfDue(string id, long nowTicks)
    {
        if (_ended.TryGetValue(id, out EndedId ended))
        {
            return ended.ForgetAt <= nowTicks && _ended.Remove(id);
        }

        return _reservations.TryGetValue(id, out Reservation? reservation) && reservation.State == ReservationState.Reclaimed
            && reservation.ForgetAt.UtcTicks <= nowTicks && _reservations.Remove(id);
    }

    // A budget deleted while the call ran is no longer held on (a budget created under the same key since is a new
    // entry, which never held this reservation).
    private void Unhold(Reservation reservation, DateTimeOffset now)
    {
        foreach (Entry entry in reservation.Budgets)
        {
            if (!entry.Deleted)
            {
                entry.Hold(reservation.Usage, -1);
                entry.UpdatedAt = now;
                MarkBudget(entry.Key);
            }
        }
    }

    // model: what per-model caps are matched against. countRequest: a charge without reservation counts a request
    // (a reservation counted its own when admitted).
    private void ChargeEntry(Entry entry, string key, BudgetUsage amount, string? model, bool countRequest, DateTimeOffset now, ref List<BudgetAlert>? alerts)
    {
        entry.Charge(amount.Cost, amount.Model, now);
        MarkBudget(key);
        IReadOnlyList<decimal> thresholds = entry.Definition.AlertThresholds;
        entry.AlertsRaised = Alert(key, entry.Definition.Limits[0], entry.Spent, entry.WindowStart, entry.WindowEnd, entry.AlertsRaised, thresholds, now, ref alerts);
        if (entry.Extra is not { } extra)
        {
            return;
        }

        foreach (Window window in extra)
        {
            BudgetLimit limit = window.Limit;
            if (!limit.AppliesTo(model) || (limit.Unit == BudgetUnit.Requests && !countRequest))
            {
                continue;
            }

            window.Spent += amount.In(limit.Unit);
            if (limit.Unit == BudgetUnit.Dollars)
            {
                window.AlertsRaised = Alert(key, limit, window.Spent, window.Start, window.End, window.AlertsRaised, thresholds, now, ref alerts);
            }
        }
    }

    // Raises the alerts of the thresholds a dollar window's spend has reached, once per window each; returns the bits raised.
    private int Alert(string key, BudgetLimit limit, decimal spent, DateTimeOffset start, DateTimeOffset? end, int raised, IReadOnlyList<decimal> thresholds, DateTimeOffset now, ref List<BudgetAlert>? alerts)
    {
        for (int t = 0; t < thresholds.Count; t++)
        {
            int bit = 1 << t;
            if ((raised & bit) == 0 && spent > 0m && spent >= thresholds[t] * limit.Amount)
            {
                raised |= bit;
                (alerts ??= []).Add(new BudgetAlert(_project, key, thresholds[t], spent, limit.Amount, start, end, limit.Name)
                {
                    RunsOutAt = BudgetWindowState.Forecast(limit.Amount, spent, start, end, now),
                });
            }
        }

        return raised;
    }

    // The other limits' holds follow from the reservations in flight: on one budget after its limits changed (its holds
    // start again from zero), or on every budget when the ledger is restored. One pass over the calls in flight.
    private void HoldActiveReservations(Entry? only)
    {
        if (only is not null)
        {
            foreach (Window window in only.Extra!)
            {
                window.Reserved = 0m;
            }
        }

        foreach (Reservation reservation in _reservations.Values)
        {
            if (reservation.State != ReservationState.Active)
            {
                continue;
            }

            foreach (Entry entry in reservation.Budgets)
            {
                if (entry.Extra is not null && !entry.Deleted && (only is null || ReferenceEquals(entry, only)))
                {
                    entry.HoldExtra(reservation.Usage, +1, countRequest: false);
                }
            }
        }
    }

    // Without the caller's record: a reservation keeps its usage, and records only what settles or charges it.
    private static BudgetUsage Normalize(BudgetUsage usage) =>
        new BudgetUsage(BudgetAmounts.Normalize(usage.Cost), usage.Tokens, usage.Model) { Observe = usage.Observe, Record = usage.Record };

    private void NoteExpiry(Reservation reservation)
    {
        if (reservation.State == ReservationState.Active && reservation.ExpiresAt < _nextExpiry)
        {
            _nextExpiry = reservation.ExpiresAt;
        }
    }

    // Runs only when an expiry has come due: a scan of the calls in flight (and the few reclaimed ids), not of the
    // ended ones.
    private void ReclaimExpired(DateTimeOffset now)
    {
        List<Reservation>? expired = null;
        DateTimeOffset next = DateTimeOffset.MaxValue;

        foreach (Reservation reservation in _reservations.Values)
        {
            if (reservation.State != ReservationState.Active)
            {
                continue;
            }

            if (reservation.ExpiresAt <= now)
            {
                (expired ??= []).Add(reservation);
            }
            else if (reservation.ExpiresAt < next)
            {
                next = reservation.ExpiresAt;
            }
        }

        _nextExpiry = next;
        if (expired is null)
        {
            return;
        }

        // Oldest first, so the order of the forget queue does not depend on the dictionary's.
        expired.Sort(static (a, b) => a.ExpiresAt.CompareTo(b.ExpiresAt) is var c and not 0 ? c : string.CompareOrdinal(a.Id, b.Id));
        foreach (Reservation reservation in expired)
        {
            Unhold(reservation, now);
            reservation.State = ReservationState.Reclaimed;
            reservation.ForgetAt = now + _options.CompletedIdRetention;
            _forget.Enqueue((reservation.Id, reservation.ForgetAt.UtcTicks));
            MarkReservation(reservation.Id);
            Version++;
        }
    }

    // ended: Settled (amount: the cost charged) or Released (amount: what was held). A settled or released id is
    // remembered without its keys, which no retry of it compares.
    private void Complete(Reservation reservation, ReservationState ended, BudgetUsage amount, DateTimeOffset now)
    {
        _reservations.Remove(reservation.Id);
        Remember(reservation.Id, new EndedId(ended, amount.Cost, amount.Tokens, [], reservation.ExpiresAt.UtcTicks, ForgetAt: 0), now);
    }

    // The record of a charge: what the caller said of the call, completed with what the ledger knows.
    private void Record(string id, string[] keys, BudgetUsage usage, string? model, decimal held, DateTimeOffset now) =>
        Records!.Add((usage.Record ?? NoDetails) with
        {
            Sequence = 0,
            Id = id,
            Time = now,
            Keys = keys,
            Cost = usage.Cost,
            Tokens = usage.Tokens,
            Model = model,
            Held = held,
            SpentAfter = null,
        });

    // A change of a budget's spend that is no charge: the records of its window count on from spentAfter.
    private void Checkpoint(string key, BudgetSpendOutcome outcome, decimal spentAfter, string reason, DateTimeOffset now) =>
        Records?.Add(new BudgetSpendRecord { Time = now, Keys = [key], Outcome = outcome, SpentAfter = spentAfter, Reason = reason });

    private static string[] KeysOf(Entry[] budgets)
    {
        int live = 0;
        foreach (Entry entry in budgets)
        {
            live += entry.Deleted ? 0 : 1;
        }

        var keys = new string[live];
        live = 0;
        foreach (Entry entry in budgets)
        {
            if (!entry.Deleted)
            {
                keys[live++] = entry.Key;
            }
        }

        return keys;
    }

    private static readonly BudgetSpendRecord NoDetails = new() { Outcome = BudgetSpendOutcome.Charged };

    // A reclaimed id settled later was queued before; the later time counts, so it lives a full retention after the
    // settlement.
    private void Remember(string id, EndedId ended, DateTimeOffset now)
    {
        long forgetAt = (now + _options.CompletedIdRetention).UtcTicks;
        _ended.Add(id, ended with { ForgetAt = forgetAt });
        _forget.Enqueue((id, forgetAt));
        Version++;
        MarkReservation(id);
    }

    private static bool HasKeys(Entry[] budgets, IReadOnlyList<string> keys)
    {
        if (budgets.Length != keys.Count)
        {
            return false;
        }

        for (int i = 0; i < keys.Count; i++)
        {
            if (!string.Equals(budgets[i].Key, keys[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private void MarkBudget(string key) => Changes?.Budgets.Add(key);

    private void MarkReservation(string id) => Changes?.Reservations.Add(id);

    // An id that ended: how (Settled, Released, Charged, or Completed from an older store), the cost charged or the
    // amount released, and for a charge the budgets it charged (a retry must name the same keys; empty otherwise).
    // Times are UTC ticks.
    private readonly record struct EndedId(ReservationState State, decimal Amount, long Tokens, Entry[] Budgets, long ExpiresAt, long ForgetAt);

    // A reservation in flight (Active) or reclaimed on expiry (Reclaimed, still settle-able until ForgetAt).
    // Budgets: those of the keys reserved on, in order; one that is deleted is no longer held on (deleted while the
    // call ran, or already when restored from a saved ledger).
    private sealed class Reservation(string id, Entry[] budgets, BudgetUsage usage, DateTimeOffset expiresAt)
    {
        public string Id { get; } = id;

        public Entry[] Budgets { get; } = budgets;

        // Cost, tokens and the model asked for (per-model caps hold on it); Observe is not kept.
        public BudgetUsage Usage { get; } = new(usage.Cost, usage.Tokens, usage.Model);

        public decimal Amount => Usage.Cost;

        public bool Holds(BudgetUsage other) =>
            Usage.Cost == other.Cost && Usage.Tokens == other.Tokens && string.Equals(Usage.Model, other.Model, StringComparison.Ordinal);

        // Times as UTC ticks: one of these is allocated for every call, and a DateTimeOffset takes twice the room.
        private long _expiresAt = expiresAt.UtcTicks;
        private long _forgetAt;

        public DateTimeOffset ExpiresAt
        {
            get => new(_expiresAt, TimeSpan.Zero);
            set => _expiresAt = value.UtcTicks;
        }

        public ReservationState State { get; set; }

        public DateTimeOffset ForgetAt
        {
            get => new(_forgetAt, TimeSpan.Zero);
            set => _forgetAt = value.UtcTicks;
        }
    }

    // A refusal seen while checking a reservation: the budget, the limit (-1 for the main one, else the index in Extra),
    // when its window ends, and what remains of it.
    private readonly record struct Refusal(Entry? Entry, int Window, DateTimeOffset? End, decimal Available)
    {
        // The refusal reported is the one that lasts longest (a limit without period last of all), so that its reset is
        // when the call could fit again; among those, the one with the least left.
        public static void Keep(ref Refusal kept, Refusal candidate)
        {
            if (kept.Entry is null)
            {
                kept = candidate;
                return;
            }

            int order = (candidate.End ?? DateTimeOffset.MaxValue).CompareTo(kept.End ?? DateTimeOffset.MaxValue);
            if (order > 0 || (order == 0 && candidate.Available < kept.Available))
            {
                kept = candidate;
            }
        }
    }

    // The window of one of a budget's other limits (Definition.Limits[1..]).
    private sealed class Window(BudgetLimit limit)
    {
        public BudgetLimit Limit { get; set; } = limit;

        public DateTimeOffset Start { get; set; }

        public DateTimeOffset? End { get; set; }

        public decimal Spent { get; set; }

        public decimal Reserved { get; set; }

        public int AlertsRaised { get; set; }

        public decimal Available => Limit.Amount - Spent - Reserved;

        public void SetWindow(DateTimeOffset anchor, DateTimeOffset now, TimeZoneInfo timeZone) =>
            (Start, End) = BudgetWindows.GetWindow(Limit, anchor, now, timeZone);

        public bool RollOverIfEnded(DateTimeOffset anchor, DateTimeOffset now, TimeZoneInfo timeZone)
        {
            if (End is not { } end || now < end)
            {
                return false;
            }

            SetWindow(anchor, now, timeZone);
            Spent = 0m;
            AlertsRaised = 0;
            return true;
        }

        public BudgetWindowState Snapshot(DateTimeOffset now) => new()
        {
            Limit = Limit,
            Start = Start,
            End = End,
            Spent = Spent,
            Reserved = Reserved,
            RunsOutAt = BudgetWindowState.Forecast(Limit.Amount, Spent, Start, End, now),
        };
    }

    private sealed class Entry(string key, BudgetDefinition definition, DateTimeOffset createdAt)
    {
        private Dictionary<string, decimal>? _byModel;
        private Entry[]? _alone;

        /// <summary>Gets the key the budget is kept under (or was, once deleted).</summary>
        public string Key { get; } = key;

        /// <summary>Gets an array of this entry alone, for every reservation on it alone to share (reservations never change theirs).</summary>
        public Entry[] Alone => _alone ??= [this];

        public BudgetDefinition Definition { get; private set; } = definition;

        /// <summary>Gets the windows of the limits after the main one, or <see langword="null"/> when it has none.</summary>
        public Window[]? Extra { get; private set; }

        public DateTimeOffset Anchor { get; set; } = createdAt;

        public DateTimeOffset WindowStart { get; private set; } = createdAt;

        public DateTimeOffset? WindowEnd { get; private set; }

        public decimal Spent { get; private set; }

        public decimal Reserved { get; set; }

        // Holds (sign +1) or gives back (-1) a reservation's usage on every limit that applies to its model; requests are
        // counted on admission and never given back. Amounts are held at BudgetAmounts.Scale, so this is exact; the
        // floor keeps a wrong caller from driving a hold negative.
        public void Hold(BudgetUsage usage, int sign)
        {
            Reserved = sign > 0 ? Reserved + usage.Cost : Math.Max(0m, Reserved - usage.Cost);
            if (Extra is not null)
            {
                HoldExtra(usage, sign, countRequest: sign > 0);
            }
        }

        public void HoldExtra(BudgetUsage usage, int sign, bool countRequest)
        {
            foreach (Window window in Extra!)
            {
                BudgetLimit limit = window.Limit;
                if (!limit.AppliesTo(usage.Model))
                {
                    continue;
                }

                if (limit.Unit == BudgetUnit.Requests)
                {
                    window.Spent += countRequest ? 1m : 0m;
                }
                else
                {
                    decimal amount = usage.In(limit.Unit);
                    window.Reserved = sign > 0 ? window.Reserved + amount : Math.Max(0m, window.Reserved - amount);
                }
            }
        }

        // A dollar limit never refuses what costs nothing (a free or local model); the others refuse past their amount.
        public static bool Fits(decimal need, decimal amount, decimal spent, decimal reserved) =>
            spent + reserved + need <= amount || need == 0m;

        // Sets the definition and every window for it. The main limit keeps its spend; another limit keeps the spend of
        // the window it had before when it counts the same (only its amount changed), and starts from zero otherwise.
        public void Redefine(BudgetDefinition definition, bool sameThresholds, DateTimeOffset now, TimeZoneInfo timeZone)
        {
            Window[]? old = Extra;
            Definition = definition;
            SetWindow(definition, now, timeZone);
            IReadOnlyList<BudgetLimit> limits = definition.Limits;
            if (limits.Count == 1)
            {
                Extra = null;
                return;
            }

            var extra = new Window[limits.Count - 1];
            for (int i = 0; i < extra.Length; i++)
            {
                BudgetLimit limit = limits[i + 1];
                Window? kept = old is null ? null : Array.Find(old, w => w.Limit.IsSameWindowAs(limit));
                extra[i] = new Window(limit) { Spent = kept?.Spent ?? 0m, AlertsRaised = sameThresholds ? kept?.AlertsRaised ?? 0 : 0 };
                extra[i].SetWindow(Anchor, now, timeZone);
                if (kept is not null && (extra[i].Start != kept.Start || extra[i].End != kept.End))
                {
                    // The window moved (a new anchor): what it counted belonged to the old one.
                    extra[i].Spent = 0m;
                    extra[i].AlertsRaised = 0;
                }
            }

            Extra = extra;
        }

        /// <summary>Bit i set: threshold i of the definition has alerted in this window.</summary>
        public int AlertsRaised { get; set; }

        public decimal Available => Definition.Limit - Spent - Reserved;


        /// <summary>Gets or sets a value indicating whether the budget was deleted: the ledger never keeps it under its key again.</summary>
        public bool Deleted { get; set; }

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public DateTimeOffset UpdatedAt { get; set; } = createdAt;

        public void SetWindow(BudgetDefinition definition, DateTimeOffset now, TimeZoneInfo timeZone)
        {
            (WindowStart, WindowEnd) = BudgetWindows.GetWindow(definition, Anchor, now, timeZone);
        }

        public bool RollOverIfEnded(DateTimeOffset now, TimeZoneInfo timeZone)
        {
            bool rolled = false;
            if (Extra is not null)
            {
                foreach (Window window in Extra)
                {
                    rolled |= window.RollOverIfEnded(Anchor, now, timeZone);
                }
            }

            if (WindowEnd is not { } end || now < end)
            {
                if (rolled)
                {
                    UpdatedAt = now;
                }

                return rolled;
            }

            SetWindow(Definition, now, timeZone);
            Spent = 0m;
            AlertsRaised = 0;
            _byModel?.Clear();
            UpdatedAt = now;
            return true;
        }

        // A reset: every limit starts a new window (from the anchor, which the caller has just set) with nothing counted.
        public void ClearSpend(DateTimeOffset now, TimeZoneInfo timeZone)
        {
            Spent = 0m;
            AlertsRaised = 0;
            _byModel?.Clear();
            if (Extra is not null)
            {
                foreach (Window window in Extra)
                {
                    window.SetWindow(Anchor, now, timeZone);
                    window.Spent = 0m;
                    window.AlertsRaised = 0;
                }
            }

            UpdatedAt = now;
        }

        public void Charge(decimal amount, string? model, DateTimeOffset now)
        {
            Spent += amount;
            if (model is not null)
            {
                _byModel ??= new(StringComparer.Ordinal);
                CollectionsMarshal.GetValueRefOrAddDefault(_byModel, model, out _) += amount;
            }

            UpdatedAt = now;
        }

        /// <summary>Stands for a budget that no longer exists under its key, in a reservation restored from a saved ledger.</summary>
        public static Entry Detached(string key) => new(key, new BudgetDefinition(0m), DateTimeOffset.UnixEpoch) { Deleted = true };

        public static Entry Restore(BudgetRecord record)
        {
            var entry = new Entry(record.Key, record.Definition, record.CreatedAt)
            {
                Anchor = record.Anchor,
                WindowStart = record.WindowStart,
                WindowEnd = record.WindowEnd,
                Spent = record.Spent,
                Reserved = record.Reserved,
                AlertsRaised = record.AlertsRaised,
                UpdatedAt = record.UpdatedAt,
                _byModel = record.SpendByModel.Count > 0 ? new Dictionary<string, decimal>(record.SpendByModel, StringComparer.Ordinal) : null,
            };

            IReadOnlyList<BudgetLimit> limits = record.Definition.Limits;
            IReadOnlyList<BudgetWindowRecord> windows = record.Windows ?? [];
            if (windows.Count != limits.Count - 1)
            {
                throw new FormatException($"The budget '{record.Key}' has {limits.Count} limits but {windows.Count + 1} windows.");
            }

            if (windows.Count > 0)
            {
                entry.Extra = new Window[windows.Count];
                for (int i = 0; i < windows.Count; i++)
                {
                    entry.Extra[i] = new Window(limits[i + 1])
                    {
                        Start = windows[i].Start,
                        End = windows[i].End,
                        Spent = windows[i].Spent,
                        AlertsRaised = windows[i].AlertsRaised,
                    };
                }
            }

            return entry;
        }

        public BudgetRecord ToRecord(string key) => new(
            key,
            Definition,
            Anchor,
            WindowStart,
            WindowEnd,
            Spent,
            Reserved,
            _byModel is { Count: > 0 } ? new Dictionary<string, decimal>(_byModel, StringComparer.Ordinal) : EmptySpend,
            AlertsRaised,
            CreatedAt,
            UpdatedAt,
            Extra is null ? null : Array.ConvertAll(Extra, w => new BudgetWindowRecord(w.Start, w.End, w.Spent, w.AlertsRaised)));

        /// <summary>Gets the most any limit has used of itself, as <see cref="BudgetState.Used"/> says.</summary>
        public decimal Used
        {
            get
            {
                decimal most = BudgetWindowState.UsedOf(Definition.Limit, Spent, Reserved);
                foreach (Window window in Extra ?? [])
                {
                    most = Math.Max(most, BudgetWindowState.UsedOf(window.Limit.Amount, window.Spent, window.Reserved));
                }

                return most;
            }
        }

        /// <summary>The soonest run-out forecast of any limit, as <see cref="BudgetState.SoonestRunOut"/> says.</summary>
        public DateTimeOffset? SoonestRunOut(DateTimeOffset now)
        {
            DateTimeOffset? soonest = BudgetWindowState.Forecast(Definition.Limit, Spent, WindowStart, WindowEnd, now);
            foreach (Window window in Extra ?? [])
            {
                if (BudgetWindowState.Forecast(window.Limit.Amount, window.Spent, window.Start, window.End, now) is { } at && (soonest is null || at < soonest))
                {
                    soonest = at;
                }
            }

            return soonest;
        }

        public BudgetState Snapshot(string project, string key, DateTimeOffset now)
        {
            DateTimeOffset? runsOut = BudgetWindowState.Forecast(Definition.Limit, Spent, WindowStart, WindowEnd, now);
            var windows = new BudgetWindowState[(Extra?.Length ?? 0) + 1];
            windows[0] = new BudgetWindowState { Limit = Definition.Limits[0], Start = WindowStart, End = WindowEnd, Spent = Spent, Reserved = Reserved, RunsOutAt = runsOut };
            for (int i = 1; i < windows.Length; i++)
            {
                windows[i] = Extra![i - 1].Snapshot(now);
            }

            return new BudgetState
            {
                Project = project,
                Key = key,
                Definition = Definition,
                WindowStart = WindowStart,
                WindowEnd = WindowEnd,
                Spent = Spent,
                Reserved = Reserved,
                RunsOutAt = runsOut,
                Windows = windows,
                SpendByModel = _byModel is { Count: > 0 } ? new Dictionary<string, decimal>(_byModel, StringComparer.Ordinal) : EmptySpend,
                CreatedAt = CreatedAt,
                UpdatedAt = UpdatedAt,
            };
        }

        private static readonly IReadOnlyDictionary<string, decimal> EmptySpend = new Dictionary<string, decimal>();
    }
}
