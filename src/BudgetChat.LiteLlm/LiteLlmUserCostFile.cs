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
/// <c>duration</c> (days: 1, 7, 28 and 365, as LiteLLM's <c>create_budget</c> writes), <c>created_at</c> and
/// <c>last_updated_at</c> (Unix seconds; LiteLLM resets once <c>now − last_updated_at</c> reaches the duration, so it
/// is the window start); then <c>current_cost</c> and <c>model_cost</c> once something was charged. User names are
/// read and written by <see cref="LiteLlmUserDict"/>.
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
    /// <c>last_updated_at</c>; its spend is carried over only while that window lasts (LiteLLM's own reset rule), so an
    /// ended window starts at $0 as it would in LiteLLM. An existing budget of the same user gets the file's definition
    /// and is charged the file's spend on top of its own: import into a project without budgets.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a LiteLLM user dictionary; nothing was written to the store.</exception>
    public static async Task<int> ImportAsync(IBudgetStore store, string project, string path, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<Entry> entries = Parse(bytes, Path.GetFullPath(path));
        DateTimeOffset now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        foreach (Entry entry in entries)
        {
            string key = LiteLlmUserDict.ToKey(entry.Name);
            BudgetState budget = await store.SetBudgetAsync(project, key, entry.Definition, entry.WindowStart ?? now, cancellationToken).ConfigureAwait(false);

            // LiteLLM's rule: once the duration has passed since last_updated_at the spend is gone. The store may also
            // have rolled the window over already (its months are calendar lengths, LiteLLM's 28 days).
            if (entry.Definition.Period != BudgetPeriod.None &&
                (entry.WindowStart is not { } start
                    || now - start >= TimeSpan.FromDays(LiteLlmUserDict.DurationDays(entry.Definition.Period))
                    || budget.WindowStart != start))
            {
                continue;
            }

            string chargeId = "litellm-import:" + Guid.NewGuid().ToString("N");
            decimal byModel = 0m;
            foreach ((string model, decimal cost) in entry.ModelCost)
            {
                if (cost > 0m)
                {
                    await store.ChargeAsync(project, [key], cost, model, $"{chargeId}:{model}", cancellationToken).ConfigureAwait(false);
                    byModel += cost;
                }
            }

            if (entry.CurrentCost > byModel)
            {
                await store.ChargeAsync(project, [key], entry.CurrentCost - byModel, null, chargeId, cancellationToken).ConfigureAwait(false);
            }
        }

        return entries.Count;
    }

    /// <summary>Writes a project's budgets to a <c>user_cost.json</c> file in LiteLLM's shape, replacing it.</summary>
    /// <param name="store">The store to read the budgets from.</param>
    /// <param name="project">The project.</param>
    /// <param name="path">The file; written to a temporary file beside it first and then moved over it, so a reader never sees half a file.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many budgets were written.</returns>
    public static async Task<int> ExportAsync(IBudgetStore store, string project, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(project, cancellationToken).ConfigureAwait(false);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
        {
            await using var writer = new Utf8JsonWriter(file, WriterOptions);
            Write(writer, budgets);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, full, overwrite: true);
        return budgets.Count;
    }

    private static void Write(Utf8JsonWriter writer, IReadOnlyList<BudgetState> budgets)
    {
        writer.WriteStartObject();
        foreach (BudgetState budget in budgets)
        {
            writer.WriteStartObject(LiteLlmUserDict.ToName(budget.Key));
            writer.WriteNumber("total_budget", budget.Limit);
            if (budget.Definition.Period != BudgetPeriod.None)
            {
                writer.WriteNumber("duration", LiteLlmUserDict.DurationDays(budget.Definition.Period));
                writer.WriteNumber("created_at", LiteLlmUserDict.ToUnixSeconds(budget.CreatedAt));
                writer.WriteNumber("last_updated_at", LiteLlmUserDict.ToUnixSeconds(budget.WindowStart));
            }

            writer.WriteNumber("current_cost", budget.Spent);
            writer.WriteStartObject("model_cost");
            foreach (KeyValuePair<string, decimal> model in budget.SpendByModel.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(model.Key, model.Value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
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
                if (user.NameEquals(LiteLlmUserDict.MetadataName))
                {
                    continue; // BudgetChat's earlier file store kept its reservations there: nothing LiteLLM knows
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

        BudgetPeriod period = Number(entry, "duration") is not { } days
            ? BudgetPeriod.None
            : LiteLlmUserDict.PeriodOfDays(days) ?? throw new FormatException($"'duration' is {days} days; LiteLLM budgets last 1, 7, 28 to 31 (whole days), 365 or 366 days.");
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
        return new Entry(name, definition, windowStart, spent, modelCost);
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

    private sealed record Entry(string Name, BudgetDefinition Definition, DateTimeOffset? WindowStart, decimal CurrentCost, IReadOnlyList<(string Model, decimal Cost)> ModelCost);
}
