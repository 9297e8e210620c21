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

    /// <summary>Gets a budget, rolling its window over first if it has ended.</summary>
    /// <param name="key">The budget's key.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The budget, or <see langword="null"/> when the key has none.</returns>
    public BudgetState? Get(string key, DateTimeOffset now)
    {
        Maintain(now);
        return _budgets.TryGetValue(key, out Entry? entry) ? Touch(key, entry, now).Snapshot(_project, key) : null;
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
        if (!entry.Definition.AlertThresholds.SequenceEqual(definition.AlertThresholds))
        {
            entry.AlertsRaised = 0;
        }

        entry.Definition = definition;
        entry.Anchor = createdAt ?? entry.WindowStart;
        entry.SetWindow(definition, now, _options.TimeZone);
        entry.UpdatedAt = now;
        Version++;
        MarkBudget(key);
        return entry.Snapshot(_project, key);
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
            ? Touch(key, entry, now).Snapshot(_project, key)
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

    /// <summary>Lists the budgets, ordered by key.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The budgets.</returns>
    public IReadOnlyList<BudgetState> List(DateTimeOffset now)
    {
        Maintain(now);
        var list = new List<BudgetState>(_budgets.Count);
        foreach (KeyValuePair<string, Entry> pair in _budgets)
        {
            list.Add(Touch(pair.Key, pair.Value, now).Snapshot(_project, pair.Key));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    /// <summary>Holds an amount on every key, or on none (<see cref="IBudgetStore.ReserveAsync"/>).</summary>
    /// <param name="keys">The keys, checked by <see cref="BudgetStoreArguments.Reserve"/>.</param>
    /// <param name="amount">The amount, in US dollars.</param>
    /// <param name="reservationId">The caller's id for the reservation.</param>
    /// <param name="expiresAt">When the reservation is reclaimed.</param>
    /// <param name="now">The current time.</param>
    /// <returns>Whether the amount is held, and if not, which key refused or what the id is already used for.</returns>
    public BudgetReservationResult Reserve(IReadOnlyList<string> keys, decimal amount, string reservationId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        Maintain(now);
        amount = BudgetAmounts.Normalize(amount);
        if (_ended.TryGetValue(reservationId, out EndedId ended))
        {
            return BudgetIdRules.Reservation(BudgetIdRules.Repeat(ended.State, ReservationState.Active, sameParameters: false));
        }

        // One hash of the id for the common case, a new id: its place in the table is taken now and given back if the
        // reservation is not made.
        ref Reservation? place = ref CollectionsMarshal.GetValueRefOrAddDefault(_reservations, reservationId, out bool exists);
        if (exists)
        {
            return BudgetIdRules.Reservation(BudgetIdRules.Repeat(place!.State, ReservationState.Active, place.Amount == amount && HasKeys(place.Budgets, keys)));
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
    private BudgetReservationResult ReserveNew(IReadOnlyList<string> keys, decimal amount, string reservationId, DateTimeOffset expiresAt, DateTimeOffset now, ref Reservation? place)
    {
        // A reservation on one budget, the usual kind, shares that budget's array of itself.
        Entry[]? entries = keys.Count == 1 ? null : new Entry[keys.Count];
        Entry? tightest = null;
        string? tightestKey = null;
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

            if (entry.Spent + entry.Reserved + amount > entry.Definition.Limit &&
                (tightest is null || entry.Available < tightest.Available))
            {
                tightest = entry;
                tightestKey = keys[i];
            }
        }

        if (tightest is not null)
        {
            return BudgetReservationResult.Insufficient(tightest.Snapshot(_project, tightestKey!));
        }

        for (int i = 0; i < entries!.Length; i++)
        {
            entries[i].Reserved += amount;
            entries[i].UpdatedAt = now;
            MarkBudget(keys[i]);
        }

        var reservation = new Reservation(reservationId, entries, amount, expiresAt);
        place = reservation;
        NoteExpiry(reservation);
        Version++;
        MarkReservation(reservationId);
        return BudgetReservationResult.Reserved;
    }

    /// <summary>Ends a reservation, charging the actual cost (<see cref="IBudgetStore.SettleAsync"/>).</summary>
    /// <param name="reservationId">The reservation's id.</param>
    /// <param name="actualCost">What the call cost, in US dollars.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="now">The current time.</param>
    /// <returns>What happened, and the alerts the charge raised.</returns>
    public BudgetCompletion Settle(string reservationId, decimal actualCost, string? model, DateTimeOffset now)
    {
        Maintain(now);
        actualCost = BudgetAmounts.Normalize(actualCost);
        if (!_reservations.TryGetValue(reservationId, out Reservation? reservation))
        {
            return _ended.TryGetValue(reservationId, out EndedId ended)
                ? BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Settled, ended.Amount == actualCost))
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
                entry.Unreserve(reservation.Amount);
            }

            ChargeEntry(entry, entry.Key, actualCost, model, now, ref alerts);
        }

        // The amount remembered is the cost charged, which a retried settle must repeat.
        Complete(reservation, ReservationState.Settled, actualCost, now);
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

        Complete(reservation, ReservationState.Released, reservation.Amount, now);
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
    /// <param name="amount">The amount, in US dollars.</param>
    /// <param name="model">The model the cost is recorded against, or <see langword="null"/>.</param>
    /// <param name="chargeId">The caller's id; a second charge with it charges nothing.</param>
    /// <param name="now">The current time.</param>
    /// <returns>What happened, and the alerts the charge raised; a conflict when the id is a reservation's or another charge's.</returns>
    /// <exception cref="BudgetNotFoundException">A key has no budget; nothing was charged.</exception>
    public BudgetCompletion Charge(IReadOnlyList<string> keys, decimal amount, string? model, string chargeId, DateTimeOffset now)
    {
        Maintain(now);
        amount = BudgetAmounts.Normalize(amount);
        if (_reservations.TryGetValue(chargeId, out Reservation? existing))
        {
            return BudgetIdRules.Completion(BudgetIdRules.Repeat(existing.State, ReservationState.Charged, sameParameters: false));
        }

        if (_ended.TryGetValue(chargeId, out EndedId ended))
        {
            return BudgetIdRules.Completion(BudgetIdRules.Repeat(ended.State, ReservationState.Charged, ended.Amount == amount && HasKeys(ended.Budgets, keys)));
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
            ChargeEntry(Touch(keys[i], entries[i], now), keys[i], amount, model, now, ref alerts);
        }

        // A charge's keys and amount are remembered with its id, so that a retry can be told from a conflicting reuse.
        Remember(chargeId, new EndedId(ReservationState.Charged, amount, entries, now.UtcTicks, ForgetAt: 0), now);

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
        entry.ClearSpend(now);
        Version++;
        MarkBudget(key);
        return entry.Snapshot(_project, key);
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
        ToRecord(reservation.Id, reservation.State, reservation.Budgets, reservation.Amount, reservation.ExpiresAt);

    private static ReservationRecord ToRecord(string id, EndedId ended) =>
        ToRecord(id, ended.State, ended.Budgets, ended.Amount, new DateTimeOffset(ended.ExpiresAt, TimeSpan.Zero));

    private static ReservationRecord ToRecord(string id, ReservationState state, Entry[] budgets, decimal amount, DateTimeOffset expiresAt)
    {
        string[] keys = new string[budgets.Length];
        bool[] holds = new bool[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = budgets[i].Key;
            holds[i] = !budgets[i].Deleted;
        }

        return new ReservationRecord(id, state, keys, holds, amount, expiresAt);
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
                var reservation = new Reservation(record.Id, budgets, record.Amount, record.ExpiresAt) { State = record.State };
                ledger._reservations.Add(record.Id, reservation);
                ledger.NoteExpiry(reservation);
            }
            else
            {
                ledger._ended.Add(record.Id, new EndedId(record.State, record.Amount, budgets, record.ExpiresAt.UtcTicks, ForgetAt: 0));
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
                    : new EndedId(ReservationState.Completed, 0m, [], forgetAt.UtcTicks, forgetAt.UtcTicks);
            }

            ledger._forget.Enqueue((id, forgetAt.UtcTicks));
        }

        return ledger;
    }

    private BudgetState Create(string key, BudgetDefinition definition, DateTimeOffset createdAt, DateTimeOffset now)
    {
        var entry = new Entry(key, definition, createdAt);
        entry.SetWindow(definition, now, _options.TimeZone);
        _budgets.Add(key, entry);
        Version++;
        MarkBudget(key);
        return entry.Snapshot(_project, key);
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
                entry.Unreserve(reservation.Amount);
                entry.UpdatedAt = now;
                MarkBudget(entry.Key);
            }
        }
    }

    private void ChargeEntry(Entry entry, string key, decimal amount, string? model, DateTimeOffset now, ref List<BudgetAlert>? alerts)
    {
        entry.Charge(amount, model, now);
        MarkBudget(key);
        IReadOnlyList<decimal> thresholds = entry.Definition.AlertThresholds;
        for (int t = 0; t < thresholds.Count; t++)
        {
            int bit = 1 << t;
            if ((entry.AlertsRaised & bit) == 0 && entry.Spent > 0m && entry.Spent >= thresholds[t] * entry.Definition.Limit)
            {
                entry.AlertsRaised |= bit;
                (alerts ??= []).Add(new BudgetAlert(_project, key, thresholds[t], entry.Spent, entry.Definition.Limit, entry.WindowStart, entry.WindowEnd));
            }
        }
    }

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
    private void Complete(Reservation reservation, ReservationState ended, decimal amount, DateTimeOffset now)
    {
        _reservations.Remove(reservation.Id);
        Remember(reservation.Id, new EndedId(ended, amount, [], reservation.ExpiresAt.UtcTicks, ForgetAt: 0), now);
    }

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
    private readonly record struct EndedId(ReservationState State, decimal Amount, Entry[] Budgets, long ExpiresAt, long ForgetAt);

    // A reservation in flight (Active) or reclaimed on expiry (Reclaimed, still settle-able until ForgetAt).
    // Budgets: those of the keys reserved on, in order; one that is deleted is no longer held on (deleted while the
    // call ran, or already when restored from a saved ledger).
    private sealed class Reservation(string id, Entry[] budgets, decimal amount, DateTimeOffset expiresAt)
    {
        public string Id { get; } = id;

        public Entry[] Budgets { get; } = budgets;

        public decimal Amount { get; } = amount;

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

    private sealed class Entry(string key, BudgetDefinition definition, DateTimeOffset createdAt)
    {
        private Dictionary<string, decimal>? _byModel;
        private Entry[]? _alone;

        /// <summary>Gets the key the budget is kept under (or was, once deleted).</summary>
        public string Key { get; } = key;

        /// <summary>Gets an array of this entry alone, for every reservation on it alone to share (reservations never change theirs).</summary>
        public Entry[] Alone => _alone ??= [this];

        public BudgetDefinition Definition { get; set; } = definition;

        public DateTimeOffset Anchor { get; set; } = createdAt;

        public DateTimeOffset WindowStart { get; private set; } = createdAt;

        public DateTimeOffset? WindowEnd { get; private set; }

        public decimal Spent { get; private set; }

        public decimal Reserved { get; set; }

        // Amounts are held at BudgetAmounts.Scale, so this is exact; the floor keeps a wrong caller from driving it negative.
        public void Unreserve(decimal amount) => Reserved = Math.Max(0m, Reserved - amount);

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
            if (WindowEnd is not { } end || now < end)
            {
                return false;
            }

            SetWindow(Definition, now, timeZone);
            ClearSpend(now);
            return true;
        }

        public void ClearSpend(DateTimeOffset now)
        {
            Spent = 0m;
            AlertsRaised = 0;
            _byModel?.Clear();
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

        public static Entry Restore(BudgetRecord record) => new(record.Key, record.Definition, record.CreatedAt)
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
            UpdatedAt);

        public BudgetState Snapshot(string project, string key) => new()
        {
            Project = project,
            Key = key,
            Definition = Definition,
            WindowStart = WindowStart,
            WindowEnd = WindowEnd,
            Spent = Spent,
            Reserved = Reserved,
            SpendByModel = _byModel is { Count: > 0 } ? new Dictionary<string, decimal>(_byModel, StringComparer.Ordinal) : EmptySpend,
            CreatedAt = CreatedAt,
            UpdatedAt = UpdatedAt,
        };

        private static readonly IReadOnlyDictionary<string, decimal> EmptySpend = new Dictionary<string, decimal>();
    }
}
