using System.Text.Encodings.Web;
using System.Text.Json;

namespace BudgetChat.LiteLlm;

/// <summary>
/// LiteLLM's <c>user_cost.json</c>, the file its local <c>BudgetManager</c> keeps users in: read into a store, and
/// written from one in exactly LiteLLM's shape, so LiteLLM-side tools keep reading it.
/// </summary>
/// <remarks>
/// <para>
/// An entry is LiteLLM's <c>user_dict[user]</c>: <c>total_budget</c>, and for a budget with a period
/// <c>duration</c> (days), <c>created_at</c> and <c>last_updated_at</c> (Unix seconds; LiteLLM resets once
/// <c>now − last_updated_at</c> reaches the duration); then <c>current_cost</c> and <c>model_cost</c>. The file holds
/// users only, under their own names (<see cref="LiteLlmUserDict"/>): LiteLLM lists every entry as a user. Written
/// windows are <see cref="LiteLlmUserDict.ToLiteLlmWindow"/>'s, so LiteLLM resets them when the store does, and each
/// entry carries one member LiteLLM ignores, <c>"budgetchat": { "key": ... }</c>. LiteLLM knows one limit per user: a
/// budget of several is written with its main limit (US dollars on every model) and that limit's window and spend. Files earlier BudgetChat versions
/// wrote are still read: their top-level <c>budgetchat</c> entry is skipped and their <c>budgetchat:key</c> names read
/// as that key.
/// </para>
/// <para>
/// Reading checks the whole file before anything is written to the store: a file that is not valid JSON, or has an
/// entry LiteLLM would not write, is reported with a <see cref="FormatException"/> naming the file and the entry, and is
/// never changed. This type is thread-safe.
/// </para>
/// </remarks>
public static class LiteLlmUserCostFile
{
    /// <summary>The file's name, in the working directory where LiteLLM keeps it.</summary>
    public const string DefaultFileName = "user_cost.json";

    // The member BudgetChat writes inside each user's entry, and the name and prefix its earlier versions wrote entries under.
    private const string OwnMember = "budgetchat";
    private const string LegacyName = "budgetchat";
    private const string LegacyPrefix = "budgetchat:";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file, never HTML: keep user names readable
    };

    /// <summary>Reads the users of a <c>user_cost.json</c> file and creates their budgets, with their spend, in a store.</summary>
    /// <param name="store">The store to create the budgets in.</param>
    /// <param name="project">The project the budgets belong to.</param>
    /// <param name="path">The file.</param>
    /// <param name="timeProvider">The clock that decides whether a window has ended, or <see langword="null"/> for the system clock.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many users were imported.</returns>
    /// <remarks>
    /// A budget with a period becomes a <see cref="BudgetWindowAlignment.Rolling"/> budget counted from
    /// <c>last_updated_at</c>; its spend is carried over only while that window lasts by LiteLLM's own reset rule
    /// (<see cref="LiteLlmUserDict.HasEnded"/>, with the entry's own <c>duration</c>), so an ended window starts now at
    /// $0, as LiteLLM's <c>reset_on_duration</c> would start it. An existing budget of the same user gets the file's limit as
    /// its main limit, keeping its other limits, enforcement and alert thresholds (<see cref="LiteLlmUserDict.ToDefinition"/>:
    /// the file knows one limit only), and is charged the file's spend on top of its own: import into a project without budgets.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a LiteLLM user dictionary; nothing was written to the store.</exception>
    public static Task<int> ImportAsync(IBudgetStore store, string project, string path, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        ImportAsync(store, project, path, progress: null, timeProvider, cancellationToken);

    /// <summary>
    /// Reads the users of a <c>user_cost.json</c> file and creates their budgets, with their spend, in a store, reporting
    /// how far it got (for a progress bar: a file of many users takes a write or more per user).
    /// </summary>
    /// <param name="store">The store to create the budgets in.</param>
    /// <param name="project">The project the budgets belong to.</param>
    /// <param name="path">The file.</param>
    /// <param name="progress">
    /// Told the users imported and the users in the file: once when the file has been read and checked (0 imported), then
    /// after each user; <see langword="null"/> for no reports.
    /// </param>
    /// <param name="timeProvider">The clock that decides whether a window has ended, or <see langword="null"/> for the system clock.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many users were imported.</returns>
    /// <remarks>Imports as <see cref="ImportAsync(IBudgetStore, string, string, TimeProvider?, CancellationToken)"/> does.</remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a LiteLLM user dictionary; nothing was written to the store.</exception>
    public static async Task<int> ImportAsync(IBudgetStore store, string project, string path, IProgress<LiteLlmImportProgress>? progress, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<Entry> entries = Parse(bytes, Path.GetFullPath(path));
        progress?.Report(new LiteLlmImportProgress(0, entries.Count));
        DateTimeOffset now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        Dictionary<string, BudgetDefinition> existing = entries.Count == 0
            ? []
            : (await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false)).ToDictionary(b => b.Key, b => b.Definition, StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
        {
            await ImportEntryAsync(store, project, entries[i], existing.GetValueOrDefault(entries[i].Key), now, cancellationToken).ConfigureAwait(false);
            progress?.Report(new LiteLlmImportProgress(i + 1, entries.Count));
        }

        return entries.Count;
    }

    private static async Task ImportEntryAsync(IBudgetStore store, string project, Entry entry, BudgetDefinition? existing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // LiteLLM's rule: once the duration has passed since last_updated_at the spend is gone and a new window
        // starts now, as its reset_on_duration would start it.
        bool ended = entry.DurationDays is { } days && entry.WindowStart is { } start && LiteLlmUserDict.HasEnded(days, start, now);
        BudgetDefinition definition = LiteLlmUserDict.ToDefinition(existing, entry.Definition.Limit, entry.Definition.Period, entry.Definition.Alignment);
        BudgetState budget = await store.SetBudgetAsync(project, entry.Key, definition, entry.CreatedAt ?? entry.WindowStart ?? now, cancellationToken).ConfigureAwait(false);
        // Without a period there is one window, from the budget's creation.
        if (definition.Period != BudgetPeriod.None)
        {
            if (ended || entry.WindowStart is null)
            {
                await store.SetBudgetAsync(project, entry.Key, definition, now, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (entry.WindowStart != entry.CreatedAt)
            {
                budget = await store.SetBudgetAsync(project, entry.Key, definition, entry.WindowStart, cancellationToken).ConfigureAwait(false);
            }

            // The store may have rolled the window over already (a month of the file's 28 days that the store counts
            // as a calendar month cannot, but a window its own rules end can).
            if (budget.WindowStart != entry.WindowStart)
            {
                return;
            }
        }

        string chargeId = "litellm-import:" + Guid.NewGuid().ToString("N");
        decimal byModel = 0m;
        foreach ((string model, decimal cost) in entry.ModelCost)
        {
            if (cost > 0m)
            {
                await store.ChargeAsync(project, [entry.Key], cost, model, $"{chargeId}:{model}", cancellationToken).ConfigureAwait(false);
                byModel += cost;
            }
        }

        if (entry.CurrentCost > byModel)
        {
            await store.ChargeAsync(project, [entry.Key], entry.CurrentCost - byModel, null, chargeId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a project's budgets to a <c>user_cost.json</c> file in LiteLLM's shape, replacing it.</summary>
    /// <param name="store">The store to read the budgets from.</param>
    /// <param name="project">The project.</param>
    /// <param name="path">The file; written to a temporary file beside it first and then moved over it, so a reader never sees half a file.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many users were written; budgets that are no user are not.</returns>
    public static async Task<int> ExportAsync(IBudgetStore store, string project, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        int written;
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
        {
            await using var writer = new Utf8JsonWriter(file, WriterOptions);
            written = Write(writer, budgets);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, full, overwrite: true);
        return written;
    }

    private static int Write(Utf8JsonWriter writer, IReadOnlyList<BudgetState> budgets)
    {
        int written = 0;
        writer.WriteStartObject();
        foreach (BudgetState budget in budgets)
        {
            // LiteLLM lists every entry as a user: budgets that are no user stay in the store only.
            if (LiteLlmUserDict.ToName(budget.Key) is not { } user)
            {
                continue;
            }

            writer.WriteStartObject(user);
            writer.WriteNumber("total_budget", budget.Limit);
            if (LiteLlmUserDict.ToLiteLlmWindow(budget) is var (days, lastUpdatedAt))
            {
                writer.WriteNumber("duration", days);
                writer.WriteNumber("created_at", LiteLlmUserDict.ToUnixSeconds(budget.CreatedAt));
                writer.WriteNumber("last_updated_at", LiteLlmUserDict.ToUnixSeconds(lastUpdatedAt));
            }

            writer.WriteNumber("current_cost", budget.Spent);
            writer.WriteStartObject("model_cost");
            foreach (KeyValuePair<string, decimal> model in budget.SpendByModel.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(model.Key, model.Value);
            }

            writer.WriteEndObject();

            // A member LiteLLM ignores (and keeps when it saves the entry): says the name is the user's as it stands.
            writer.WriteStartObject(OwnMember);
            writer.WriteString("key", budget.Key);
            writer.WriteEndObject();
            writer.WriteEndObject();
            written++;
        }

        writer.WriteEndObject();
        return written;
    }

    private static List<Entry> Parse(byte[] bytes, string path)
    {
        JsonDocument document;
        try
        {
            // A hand edit may have added a byte order mark, which the JSON reader would reject.
            ReadOnlyMemory<byte> json = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes.AsMemory(3) : bytes;
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The LiteLLM budget file '{path}' is not valid JSON ({ex.Message}). It was left as it is; fix or move it to continue.", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"The LiteLLM budget file '{path}' does not hold a JSON object keyed by user. It was left as it is; fix or move it to continue.");
            }

            var entries = new List<Entry>();
            foreach (JsonProperty user in document.RootElement.EnumerateObject())
            {
                if (user.NameEquals(LegacyName) && user.Value.ValueKind == JsonValueKind.Object && !user.Value.TryGetProperty("total_budget", out _))
                {
                    continue; // BudgetChat's earlier file store kept its reservations there; a user of that name has a budget
                }

                try
                {
                    entries.Add(ReadEntry(user.Name, user.Value));
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    throw new FormatException($"The LiteLLM budget file '{path}' has an invalid entry '{user.Name}': {ex.Message} It was left as it is; fix or move it to continue.", ex);
                }
            }

            return entries;
        }
    }

    private static Entry ReadEntry(string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("it is not an object.");
        }

        decimal limit = Number(entry, "total_budget") ?? throw new FormatException("'total_budget' is missing.");
        if (limit < 0m)
        {
            throw new FormatException($"'total_budget' is negative: {limit}.");
        }

        decimal? days = Number(entry, "duration");
        BudgetPeriod period = days is null
            ? BudgetPeriod.None
            : LiteLlmUserDict.PeriodOfDays(days.Value) ?? throw new FormatException($"'duration' is {days} days; LiteLLM budgets last 1, 7, 28 to 31 (whole days), 365 or 366 days, or 1/24 or 1/1440 of a day.");
        DateTimeOffset? windowStart = Time(entry, "last_updated_at") ?? Time(entry, "created_at");
        decimal spent = Number(entry, "current_cost") ?? 0m;
        if (spent < 0m)
        {
            throw new FormatException($"'current_cost' is negative: {spent}.");
        }

        var modelCost = new List<(string, decimal)>();
        if (entry.TryGetProperty("model_cost", out JsonElement models) && models.ValueKind != JsonValueKind.Null)
        {
            if (models.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("'model_cost' is not an object.");
            }

            foreach (JsonProperty model in models.EnumerateObject())
            {
                decimal cost = Number(models, model.Name) ?? 0m;
                modelCost.Add(cost >= 0m ? (model.Name, cost) : throw new FormatException($"'model_cost' of '{model.Name}' is negative: {cost}."));
            }
        }

        // LiteLLM's windows count from the last reset.
        var definition = new BudgetDefinition(limit, period, period == BudgetPeriod.None ? BudgetWindowAlignment.Calendar : BudgetWindowAlignment.Rolling);
        return new Entry(KeyOf(name, entry), definition, days, Time(entry, "created_at"), windowStart, spent, modelCost);
    }

    private static decimal? Number(JsonElement entry, string name)
    {
        if (!entry.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal number)
            ? number
            : throw new FormatException($"'{name}' is not a number: {value.GetRawText()}.");
    }

    private static DateTimeOffset? Time(JsonElement entry, string name) => Number(entry, name) is not { } seconds
        ? null
        : LiteLlmUserDict.FromUnixSeconds(seconds) ?? throw new FormatException($"'{name}' is not a time in Unix seconds: {seconds}.");

    /// <summary>
    /// The budget key of an entry: the key BudgetChat wrote inside it; else, in a file an earlier BudgetChat wrote, the
    /// key it escaped as <c>budgetchat:key</c> (a budget that is no user, or a user named so); else the user's.
    /// </summary>
    private static string KeyOf(string name, JsonElement entry)
    {
        if (entry.TryGetProperty(OwnMember, out JsonElement own) && own.ValueKind == JsonValueKind.Object && own.TryGetProperty("key", out JsonElement key))
        {
            string? written = key.ValueKind == JsonValueKind.String ? key.GetString() : null;
            return written is not null && LiteLlmUserDict.ToName(written) == name
                ? written
                : throw new FormatException($"'{OwnMember}.key' is not the key of user '{name}': {key.GetRawText()}.");
        }

        return name.StartsWith(LegacyPrefix, StringComparison.Ordinal) ? name[LegacyPrefix.Length..] : LiteLlmUserDict.ToKey(name);
    }

    private sealed record Entry(string Key, BudgetDefinition Definition, decimal? DurationDays, DateTimeOffset? CreatedAt, DateTimeOffset? WindowStart, decimal CurrentCost, IReadOnlyList<(string Model, decimal Cost)> ModelCost);
}
