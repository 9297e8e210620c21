namespace BudgetChat;

/// <summary>
/// The budgets and reservations of one project, and the rules of the store contract applied to them: atomic
/// reservation across keys, idempotent completion by id, reclaim on expiry, lazy window rollover.
/// </summary>
/// <remarks>Not thread-safe: the owning store serializes access. Every operation takes the current time.</remarks>
internal sealed class BudgetLedger
{
    private readonly string _project;
    private readonly BudgetStoreOptions _options;
    private readonly Dictionary<string, Entry> _budgets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Reservation> _reservations = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Reservation, DateTimeOffset> _byExpiry = new();
    private readonly Queue<(Reservation Reservation, DateTimeOffset ForgetAt)> _completed = new();

    public BudgetLedger(string project, BudgetStoreOptions options)
    {
        _project = project;
        _options = options;
    }

    private enum ReservationState
    {
        Active,
        Reclaimed,
        Completed,
    }

    public int Count => _budgets.Count;

    public BudgetState? Get(string key, DateTimeOffset now)
    {
        Maintain(now);
        return _budgets.TryGetValue(key, out Entry? entry) ? Touch(entry, now).Snapshot(_project, key) : null;
    }

    public BudgetState Set(string key, BudgetDefinition definition, DateTimeOffset now)
    {
        Maintain(now);
        if (!_budgets.TryGetValue(key, out Entry? entry))
        {
            return Create(key, definition, now);
        }

        Touch(entry, now);
        entry.Definition = definition;
        entry.Anchor = entry.WindowStart;
        entry.SetWindow(definition, now, _options.TimeZone);
        entry.UpdatedAt = now;
        return entry.Snapshot(_project, key);
    }

    public BudgetState GetOrCreate(string key, BudgetDefinition definition, DateTimeOffset now)
    {
        Maintain(now);
        return _budgets.TryGetValue(key, out Entry? entry)
            ? Touch(entry, now).Snapshot(_project, key)
            : Create(key, definition, now);
    }

    public bool Delete(string key, DateTimeOffset now)
    {
        Maintain(now);
        return _budgets.Remove(key);
    }

    public IReadOnlyList<BudgetState> List(DateTimeOffset now)
    {
        Maintain(now);
        var list = new List<BudgetState>(_budgets.Count);
        foreach (KeyValuePair<string, Entry> pair in _budgets)
        {
            list.Add(Touch(pair.Value, now).Snapshot(_project, pair.Key));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    public BudgetReservationResult Reserve(IReadOnlyList<string> keys, decimal amount, string reservationId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        Maintain(now);
        if (_reservations.TryGetValue(reservationId, out Reservation? existing))
        {
            return existing.State == ReservationState.Active
                ? BudgetReservationResult.Reserved
                : throw new ArgumentException($"Reservation id '{reservationId}' was already used and has ended; use a new id for a new reservation.", nameof(reservationId));
        }

        var entries = new Entry[keys.Count];
        Entry? tightest = null;
        string? tightestKey = null;
        for (int i = 0; i < keys.Count; i++)
        {
            if (!_budgets.TryGetValue(keys[i], out Entry? entry))
            {
                return BudgetReservationResult.NotFound(keys[i]);
            }

            entries[i] = Touch(entry, now);
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

        foreach (Entry entry in entries)
        {
            entry.Reserved += amount;
            entry.UpdatedAt = now;
        }

        var reservation = new Reservation(reservationId, [.. keys], entries, amount, expiresAt);
        _reservations.Add(reservationId, reservation);
        _byExpiry.Enqueue(reservation, expiresAt);
        return BudgetReservationResult.Reserved;
    }

    public BudgetCompletionStatus Settle(string reservationId, decimal actualCost, string? model, DateTimeOffset now)
    {
        Maintain(now);
        if (!_reservations.TryGetValue(reservationId, out Reservation? reservation))
        {
            return BudgetCompletionStatus.NotFound;
        }

        if (reservation.State == ReservationState.Completed)
        {
            return BudgetCompletionStatus.AlreadyCompleted;
        }

        bool holds = reservation.State == ReservationState.Active;
        foreach (Entry entry in HeldBudgets(reservation))
        {
            Touch(entry, now);
            if (holds)
            {
                entry.Reserved -= reservation.Amount;
            }

            entry.Charge(actualCost, model, now);
        }

        Complete(reservation, now);
        return BudgetCompletionStatus.Completed;
    }

    public BudgetCompletionStatus Release(string reservationId, DateTimeOffset now)
    {
        Maintain(now);
        if (!_reservations.TryGetValue(reservationId, out Reservation? reservation))
        {
            return BudgetCompletionStatus.NotFound;
        }

        if (reservation.State == ReservationState.Completed)
        {
            return BudgetCompletionStatus.AlreadyCompleted;
        }

        if (reservation.State == ReservationState.Active)
        {
            Unhold(reservation, now);
        }

        Complete(reservation, now);
        return BudgetCompletionStatus.Completed;
    }

    public BudgetCompletionStatus Charge(IReadOnlyList<string> keys, decimal amount, string? model, string chargeId, DateTimeOffset now)
    {
        Maintain(now);
        if (_reservations.TryGetValue(chargeId, out Reservation? existing))
        {
            return existing.State == ReservationState.Completed
                ? BudgetCompletionStatus.AlreadyCompleted
                : throw new ArgumentException($"Charge id '{chargeId}' is the id of an open reservation; settle the reservation instead.", nameof(chargeId));
        }

        foreach (string key in keys)
        {
            if (!_budgets.ContainsKey(key))
            {
                throw new BudgetNotFoundException(_project, key, null);
            }
        }

        foreach (string key in keys)
        {
            Touch(_budgets[key], now).Charge(amount, model, now);
        }

        var record = new Reservation(chargeId, [], [], amount, now);
        _reservations.Add(chargeId, record);
        Complete(record, now);
        return BudgetCompletionStatus.Completed;
    }

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
        return entry.Snapshot(_project, key);
    }

    public int Sweep(DateTimeOffset now)
    {
        Maintain(now);
        int rolled = 0;
        foreach (Entry entry in _budgets.Values)
        {
            if (entry.RollOverIfEnded(now, _options.TimeZone))
            {
                rolled++;
            }
        }

        return rolled;
    }

    private BudgetState Create(string key, BudgetDefinition definition, DateTimeOffset now)
    {
        var entry = new Entry(definition, now);
        entry.SetWindow(definition, now, _options.TimeZone);
        _budgets.Add(key, entry);
        return entry.Snapshot(_project, key);
    }

    private Entry Touch(Entry entry, DateTimeOffset now)
    {
        entry.RollOverIfEnded(now, _options.TimeZone);
        return entry;
    }

    // Reclaims expired reservations and forgets ids past their retention. Both queues are ordered by time, so
    // each operation does only the work that has come due.
    private void Maintain(DateTimeOffset now)
    {
        while (_byExpiry.TryPeek(out Reservation? reservation, out DateTimeOffset expiresAt) && expiresAt <= now)
        {
            _byExpiry.Dequeue();
            if (reservation.State == ReservationState.Active)
            {
                Unhold(reservation, now);
                reservation.State = ReservationState.Reclaimed;
                Forget(reservation, now);
            }
        }

        while (_completed.TryPeek(out var item) && item.ForgetAt <= now)
        {
            _completed.Dequeue();
            if (item.Reservation.ForgetAt <= now)
            {
                _reservations.Remove(item.Reservation.Id);
            }
        }
    }

    private void Unhold(Reservation reservation, DateTimeOffset now)
    {
        foreach (Entry entry in HeldBudgets(reservation))
        {
            entry.Reserved -= reservation.Amount;
            entry.UpdatedAt = now;
        }
    }

    // The budgets a reservation still holds on: a budget deleted while the call ran is skipped, and so is a new
    // budget created under the same key since, which never held this reservation.
    private IEnumerable<Entry> HeldBudgets(Reservation reservation)
    {
        for (int i = 0; i < reservation.Keys.Length; i++)
        {
            if (_budgets.TryGetValue(reservation.Keys[i], out Entry? entry) && ReferenceEquals(entry, reservation.Budgets[i]))
            {
                yield return entry;
            }
        }
    }

    private void Complete(Reservation reservation, DateTimeOffset now)
    {
        reservation.State = ReservationState.Completed;
        Forget(reservation, now);
    }

    // A reclaimed reservation that is settled later is queued twice; only the later time counts, so its id lives
    // a full retention after the settlement.
    private void Forget(Reservation reservation, DateTimeOffset now)
    {
        reservation.ForgetAt = now + _options.CompletedIdRetention;
        _completed.Enqueue((reservation, reservation.ForgetAt));
    }

    private sealed class Reservation(string id, string[] keys, Entry[] budgets, decimal amount, DateTimeOffset expiresAt)
    {
        public string Id { get; } = id;

        public string[] Keys { get; } = keys;

        public Entry[] Budgets { get; } = budgets;

        public decimal Amount { get; } = amount;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public ReservationState State { get; set; }

        public DateTimeOffset ForgetAt { get; set; }
    }

    private sealed class Entry(BudgetDefinition definition, DateTimeOffset createdAt)
    {
        private Dictionary<string, decimal>? _byModel;

        public BudgetDefinition Definition { get; set; } = definition;

        public DateTimeOffset Anchor { get; set; } = createdAt;

        public DateTimeOffset WindowStart { get; private set; } = createdAt;

        public DateTimeOffset? WindowEnd { get; private set; }

        public decimal Spent { get; private set; }

        public decimal Reserved { get; set; }

        public decimal Available => Definition.Limit - Spent - Reserved;

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
            _byModel?.Clear();
            UpdatedAt = now;
        }

        public void Charge(decimal amount, string? model, DateTimeOffset now)
        {
            Spent += amount;
            if (model is not null)
            {
                _byModel ??= new(StringComparer.Ordinal);
                _byModel[model] = _byModel.GetValueOrDefault(model) + amount;
            }

            UpdatedAt = now;
        }

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
