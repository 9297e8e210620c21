namespace BudgetChat.Stores;

/// <summary>Argument checks every store makes at its public edge, so that all stores reject the same input the same way.</summary>
/// <remarks>
/// One method per shape of <see cref="IBudgetStore"/> operation, checking everything that operation takes, in the order
/// of its parameters; a store calls exactly the one for the operation and checks nothing itself. Projects, keys and ids
/// must be non-blank and valid Unicode text: a lone surrogate is refused, because it cannot be stored or sent as it is
/// (UTF-8 and JSON would turn it into U+FFFD, and two users or ids that differ only there would become one).
/// </remarks>
public static class BudgetStoreArguments
{
    /// <summary>Checks the arguments of <see cref="IBudgetStore.ListBudgetsAsync(string, CancellationToken)"/>.</summary>
    /// <param name="project">The project.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Project(string project) => Name(project, nameof(project));

    /// <summary>Checks the arguments of the operations on one budget: get, delete and reset.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget key.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Key(string project, string key)
    {
        Name(project, nameof(project));
        Name(key, nameof(key));
    }

    /// <summary>Checks the arguments of the operations that define a budget: set and get-or-create.</summary>
    /// <param name="project">The project.</param>
    /// <param name="key">The budget key.</param>
    /// <param name="definition">The budget definition.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Budget(string project, string key, BudgetDefinition definition)
    {
        Key(project, key);
        ArgumentNullException.ThrowIfNull(definition);
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.ReserveAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys; at least one, none blank, no duplicates.</param>
    /// <param name="amount">The amount: a cost from 0 to <see cref="BudgetAmounts.Max"/>, tokens from 0 to <see cref="BudgetUsage.MaxTokens"/>, a model that is valid text or <see langword="null"/>.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Reserve(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId)
    {
        Keys(project, keys, amount);
        Name(reservationId, nameof(reservationId));
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.SettleAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <param name="actualCost">The actual cost from 0 to <see cref="BudgetAmounts.Max"/>, tokens and model, as for <see cref="Reserve"/>.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Settle(string project, string reservationId, BudgetUsage actualCost)
    {
        Name(project, nameof(project));
        Name(reservationId, nameof(reservationId));
        Usage(actualCost, nameof(actualCost));
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.ReleaseAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Release(string project, string reservationId)
    {
        Name(project, nameof(project));
        Name(reservationId, nameof(reservationId));
    }

    /// <summary>Checks the arguments of <see cref="IBudgetStore.RenewAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="reservationId">The reservation id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Renew(string project, string reservationId) => Release(project, reservationId);

    /// <summary>Checks the arguments of <see cref="IBudgetStore.ChargeAsync"/>.</summary>
    /// <param name="project">The project.</param>
    /// <param name="keys">The keys; at least one, none blank, no duplicates.</param>
    /// <param name="amount">The amount, as for <see cref="Reserve"/>.</param>
    /// <param name="chargeId">The charge id.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void Charge(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId)
    {
        Keys(project, keys, amount);
        Name(chargeId, nameof(chargeId));
    }

    /// <summary>Checks the arguments of <see cref="IBudgetSpendLog.AppendSpendAsync"/>: the record of a refused or released call.</summary>
    /// <param name="project">The project.</param>
    /// <param name="record">The record: outcome refused or released, cost 0, at least one key.</param>
    /// <exception cref="ArgumentException">An argument is invalid; the exception names it.</exception>
    public static void SpendRecord(string project, BudgetSpendRecord record)
    {
        Name(project, nameof(project));
        ArgumentNullException.ThrowIfNull(record);
        if (record.Outcome is not (BudgetSpendOutcome.Refused or BudgetSpendOutcome.Released))
        {
            throw new ArgumentException($"Only refused and released calls are appended; a {OutcomeText(record.Outcome)} record is written by the store with its charge.", nameof(record));
        }

        if (record.Cost != 0m)
        {
            throw new ArgumentException($"A {BudgetSpendNames.ToName(record.Outcome)} call costs nothing; Cost is {record.Cost}.", nameof(record));
        }

        // The keys, tokens and model are the record's: a bad one names the record, the argument that holds it.
        Keys(project, record.Keys ?? throw new ArgumentException("Keys is null.", nameof(record)), new BudgetUsage(0m, record.Tokens, record.Model), nameof(record), nameof(record));
        if (record.Id is not null)
        {
            Name(record.Id, nameof(record));
        }

        RecordDetails(record, nameof(record));
    }

    // What a caller may put in a record: the rest (id, time, keys, cost, tokens, model) the store fills or checks itself.
    private static void RecordDetails(BudgetSpendRecord record, string paramName)
    {
        BudgetAmounts.Check(record.Held, paramName);
        foreach (string? text in (ReadOnlySpan<string?>)[record.User, record.RequestedModel, record.Reason, record.RefusedKey, record.RefusedWindow, record.TraceId])
        {
            if (text is not null)
            {
                Name(text, paramName);
                if (text.Length > MaxRecordText)
                {
                    throw new ArgumentException($"A spend record's text is at most {MaxRecordText} characters; one has {text.Length}.", paramName);
                }
            }
        }

        foreach (long? tokens in (ReadOnlySpan<long?>)[record.InputTokens, record.CachedInputTokens, record.OutputTokens, record.ReasoningTokens])
        {
            if (tokens is < 0 or > BudgetUsage.MaxTokens)
            {
                throw new ArgumentOutOfRangeException(paramName, tokens, $"A spend record's token counts are from 0 to {BudgetUsage.MaxTokens:#,0}.");
            }
        }

        if (record.MaxOutputTokens is <= 0 || record.Duration < TimeSpan.Zero || !Enum.IsDefined(record.Outcome)
            || (record.Marks & ~(BudgetSpendMarks.Reduced | BudgetSpendMarks.Downgraded | BudgetSpendMarks.WouldRefuse)) != 0)
        {
            throw new ArgumentOutOfRangeException(paramName, "A spend record's MaxOutputTokens is positive, its Duration not negative, and its Outcome and Marks are known values.");
        }
    }

    // An unknown outcome is named by its number: the message must not throw in place of the argument exception.
    private static string OutcomeText(BudgetSpendOutcome outcome) =>
        Enum.IsDefined(outcome) ? BudgetSpendNames.ToName(outcome) : ((int)outcome).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The longest text a spend record's user, model, reason, key, window or trace id may be.</summary>
    public const int MaxRecordText = 1024;

    private static void Usage(BudgetUsage usage, string paramName)
    {
        if (usage.Record is { } record)
        {
            if (record.Outcome is not (BudgetSpendOutcome.Charged or BudgetSpendOutcome.Estimated))
            {
                throw new ArgumentException($"The record of a settle or charge is charged or estimated, not {OutcomeText(record.Outcome)}.", paramName);
            }

            RecordDetails(record, paramName);
        }

        BudgetAmounts.Check(usage.Cost, paramName);
        if (usage.Tokens is < 0 or > BudgetUsage.MaxTokens)
        {
            throw new ArgumentOutOfRangeException(paramName, usage.Tokens, $"Tokens are from 0 to {BudgetUsage.MaxTokens:#,0}.");
        }

        if (usage.Model is not null)
        {
            Name(usage.Model, paramName);
        }
    }

    private static void Keys(string project, IReadOnlyList<string> keys, BudgetUsage amount, string keysName = "keys", string amountName = "amount")
    {
        Name(project, nameof(project));
        ArgumentNullException.ThrowIfNull(keys, keysName);
        Usage(amount, amountName);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one budget key is required.", keysName);
        }

        for (int i = 0; i < keys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(keys[i]))
            {
                throw new ArgumentException($"Budget key at index {i} is null or empty.", keysName);
            }

            if (LoneSurrogate(keys[i]) is { } at)
            {
                throw new ArgumentException($"Budget key at index {i} holds a lone surrogate (U+{(int)keys[i][at]:X4} at index {at}); a key must be valid Unicode text.", keysName);
            }

            for (int j = 0; j < i; j++)
            {
                if (string.Equals(keys[i], keys[j], StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Budget key '{keys[i]}' appears more than once.", keysName);
                }
            }
        }
    }

    private static void Name(string value, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, paramName);
        if (LoneSurrogate(value) is { } at)
        {
            throw new ArgumentException($"The value holds a lone surrogate (U+{(int)value[at]:X4} at index {at}); it must be valid Unicode text.", paramName);
        }
    }

    /// <summary>The index of the first surrogate that is not half of a pair, or <see langword="null"/>.</summary>
    private static int? LoneSurrogate(string value)
    {
        for (int i = value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF'); i >= 0 && i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return i;
            }
        }

        return null;
    }
}
