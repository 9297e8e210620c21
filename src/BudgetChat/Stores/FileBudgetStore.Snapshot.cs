using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using static BudgetChat.BudgetLedger;

namespace BudgetChat;

public sealed partial class FileBudgetStore
{
    // LiteLLM's user_cost.json is keyed by user, named as LiteLlmUserDict names them. "budgetchat" holds the store's
    // own state (reservations, remembered ids), which LiteLLM has no place for.
    private const string MetadataKey = LiteLlmUserDict.MetadataName;
    private const int SnapshotVersion = 1;

    private static readonly JsonWriterOptions SnapshotWriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file, never HTML: keep user names readable
        SkipValidation = true,
    };

    // ---------------------------------------------------------------- write

    private static byte[] WriteSnapshot(SavedLedger saved)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (saved.Budgets.Count * 320) + (saved.ForgetQueue.Count * 48));
        using (var writer = new Utf8JsonWriter(buffer, SnapshotWriterOptions))
        {
            writer.WriteStartObject();
            foreach (BudgetRecord budget in saved.Budgets)
            {
                writer.WritePropertyName(LiteLlmUserDict.ToName(budget.Key));
                WriteBudget(writer, budget);
            }

            if (saved.Reservations.Count > 0 || saved.ForgetQueue.Count > 0)
            {
                writer.WritePropertyName(MetadataKey);
                WriteMetadata(writer, saved);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteBudget(Utf8JsonWriter writer, BudgetRecord budget)
    {
        BudgetDefinition definition = budget.Definition;
        writer.WriteStartObject();

        // What LiteLLM's BudgetManager writes and reads, in its units.
        writer.WriteNumber("total_budget", definition.Limit);
        if (definition.Period != BudgetPeriod.None)
        {
            writer.WriteNumber("duration", LiteLlmUserDict.DurationDays(definition.Period));
            writer.WriteNumber("created_at", LiteLlmUserDict.ToUnixSeconds(budget.CreatedAt));

            // LiteLLM resets once now - last_updated_at reaches the duration, so the window start is what it needs.
            writer.WriteNumber("last_updated_at", LiteLlmUserDict.ToUnixSeconds(budget.WindowStart));
        }

        writer.WriteNumber("current_cost", budget.Spent);
        writer.WriteStartObject("model_cost");
        foreach (KeyValuePair<string, decimal> pair in budget.SpendByModel)
        {
            writer.WriteNumber(pair.Key, pair.Value);
        }

        writer.WriteEndObject();

        // What LiteLLM has no field for.
        writer.WriteStartObject(MetadataKey);
        writer.WriteString("period", BudgetPeriodNames.ToName(definition.Period));
        writer.WriteString("alignment", BudgetPeriodNames.ToName(definition.Alignment));
        writer.WriteString("anchor", budget.Anchor);
        writer.WriteString("window_start", budget.WindowStart);
        if (budget.WindowEnd is { } end)
        {
            writer.WriteString("window_end", end);
        }

        writer.WriteString("created_at", budget.CreatedAt);
        writer.WriteString("updated_at", budget.UpdatedAt);
        writer.WriteNumber("reserved", budget.Reserved);
        WriteThresholds(writer, definition.AlertThresholds);
        if (budget.AlertsRaised != 0)
        {
            writer.WriteNumber("alerts_raised", budget.AlertsRaised);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter writer, SavedLedger saved)
    {
        writer.WriteStartObject();
        writer.WriteNumber("version", SnapshotVersion);
        writer.WriteStartArray("reservations");
        foreach (ReservationRecord reservation in saved.Reservations)
        {
            writer.WriteStartObject();
            writer.WriteString("id", reservation.Id);
            writer.WriteString("state", ReservationStateNames.ToName(reservation.State));
            writer.WriteStartArray("keys");
            foreach (string key in reservation.Keys)
            {
                writer.WriteStringValue(key);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("holds");
            foreach (bool holds in reservation.Holds)
            {
                writer.WriteBooleanValue(holds);
            }

            writer.WriteEndArray();
            writer.WriteNumber("amount", reservation.Amount);
            writer.WriteNumber("expires_at", reservation.ExpiresAt.UtcTicks);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        // Ids to forget, in the ledger's order, as [id, UTC ticks]: they are many (a day of charges), so kept short.
        writer.WriteStartArray("forget");
        foreach ((string id, DateTimeOffset forgetAt) in saved.ForgetQueue)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(id);
            writer.WriteNumberValue(forgetAt.UtcTicks);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    // ---------------------------------------------------------------- read

    /// <summary>Reads a budget file written by LiteLLM's BudgetManager or by this store.</summary>
    /// <param name="bytes">The file's content.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="project">The project the ledger belongs to.</param>
    /// <param name="options">The ledger's options.</param>
    /// <param name="fileTime">
    /// When the file was last written: the creation time of budgets LiteLLM wrote without one, so that every process
    /// reading the same file builds the same ledger.
    /// </param>
    private static BudgetLedger ReadSnapshot(byte[] bytes, string path, string project, BudgetStoreOptions options, DateTimeOffset fileTime)
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
            throw new InvalidDataException($"The budget file '{path}' is not valid JSON ({ex.Message}). It was left as it is; fix or move it to continue.", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"The budget file '{path}' does not hold a JSON object keyed by user. It was left as it is; fix or move it to continue.");
            }

            var budgets = new List<BudgetRecord>();
            List<ReservationRecord> reservations = [];
            List<(string, DateTimeOffset)> forget = [];
            foreach (JsonProperty property in root.EnumerateObject())
            {
                try
                {
                    if (property.NameEquals(MetadataKey))
                    {
                        ReadMetadata(property.Value, reservations, forget);
                    }
                    else
                    {
                        budgets.Add(ReadBudget(property.Name, property.Value, options.TimeZone, fileTime));
                    }
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException)
                {
                    // InvalidOperationException and KeyNotFoundException: a JSON value of the wrong kind, a missing field.
                    throw new FormatException($"The budget file '{path}' has an invalid entry '{property.Name}': {ex.Message} It was left as it is; fix or move it to continue.", ex);
                }
            }

            try
            {
                return BudgetLedger.Import(project, options, new SavedLedger(budgets, reservations, forget));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"The budget file '{path}' is inconsistent: {ex.Message} It was left as it is; fix or move it to continue.", ex);
            }
        }
    }

    private static BudgetRecord ReadBudget(string fileKey, JsonElement entry, TimeZoneInfo timeZone, DateTimeOffset fileTime)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("it is not an object.");
        }

        decimal limit = LiteLlmNumber(entry, "total_budget") ?? throw new FormatException("'total_budget' is missing.");
        if (limit < 0m)
        {
            throw new FormatException($"'total_budget' is negative: {limit}.");
        }

        BudgetPeriod period = LiteLlmNumber(entry, "duration") is not { } days
            ? BudgetPeriod.None
            : LiteLlmUserDict.PeriodOfDays(days) ?? throw new FormatException($"'duration' is {days} days; LiteLLM budgets last 1, 7, 28 to 31, or 365 days.");

        DateTimeOffset? liteCreatedAt = LiteLlmTime(entry, "created_at");
        DateTimeOffset? liteUpdatedAt = LiteLlmTime(entry, "last_updated_at");
        decimal spent = LiteLlmNumber(entry, "current_cost") ?? 0m;
        var byModel = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (entry.TryGetProperty("model_cost", out JsonElement modelCost) && modelCost.ValueKind != JsonValueKind.Null)
        {
            if (modelCost.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("'model_cost' is not an object.");
            }

            foreach (JsonProperty model in modelCost.EnumerateObject())
            {
                byModel[model.Name] = model.Value.ValueKind == JsonValueKind.Number && model.Value.TryGetDecimal(out decimal cost)
                    ? cost
                    : throw new FormatException($"'model_cost' of '{model.Name}' is not a number: {model.Value.GetRawText()}.");
            }
        }

        // The store's own fields, trusted only as far as LiteLLM has not changed the budget since: create_budget drops
        // them, update_cost keeps them, and a reset by reset_on_duration moves last_updated_at off our window start.
        bool hasOwn = entry.TryGetProperty(MetadataKey, out JsonElement own) && own.ValueKind == JsonValueKind.Object;
        BudgetWindowAlignment alignment = BudgetWindowAlignment.Rolling;
        decimal[] thresholds = [];
        if (hasOwn)
        {
            if (BudgetPeriodNames.Parse(RequiredString(own, "period")) == period)
            {
                alignment = BudgetPeriodNames.ParseAlignment(RequiredString(own, "alignment"));
            }
            else
            {
                hasOwn = false;
            }

            thresholds = ReadThresholds(own);
        }

        BudgetDefinition definition = CreateDefinition(limit, period, period == BudgetPeriod.None ? BudgetWindowAlignment.Calendar : alignment, thresholds);
        DateTimeOffset createdAt = hasOwn ? OwnTime(own, "created_at") : liteCreatedAt ?? liteUpdatedAt ?? fileTime;
        DateTimeOffset updatedAt = hasOwn ? OwnTime(own, "updated_at") : liteUpdatedAt ?? createdAt;
        DateTimeOffset anchor = hasOwn ? OwnTime(own, "anchor") : createdAt;
        decimal reserved = hasOwn ? Money(own, "reserved") : 0m;
        int alertsRaised = hasOwn && own.TryGetProperty("alerts_raised", out JsonElement raised)
            ? (raised.TryGetInt32(out int bits) ? bits : throw new FormatException("'alerts_raised' is not an integer."))
            : 0;

        DateTimeOffset windowStart;
        DateTimeOffset? windowEnd;
        bool resetByLiteLlm = hasOwn && period != BudgetPeriod.None && liteUpdatedAt is { } lastUpdated && lastUpdated != OwnTime(own, "window_start");
        if (hasOwn && !resetByLiteLlm)
        {
            windowStart = OwnTime(own, "window_start");
            windowEnd = own.TryGetProperty("window_end", out _) ? OwnTime(own, "window_end") : null;
        }
        else if (period == BudgetPeriod.None)
        {
            (windowStart, windowEnd) = (anchor, null);
        }
        else
        {
            // LiteLLM's window: the spend since last_updated_at, its last reset, which a rolling window counts from.
            DateTimeOffset lastReset = liteUpdatedAt ?? liteCreatedAt ?? fileTime;
            if (alignment == BudgetWindowAlignment.Rolling)
            {
                anchor = lastReset;
            }

            (windowStart, windowEnd) = BudgetWindows.GetWindow(definition, anchor, lastReset, timeZone);
            alertsRaised = 0;
        }

        return new BudgetRecord(LiteLlmUserDict.ToKey(fileKey), definition, anchor, windowStart, windowEnd, spent, reserved, byModel, alertsRaised, createdAt, updatedAt);
    }

    private static void ReadMetadata(JsonElement metadata, List<ReservationRecord> reservations, List<(string, DateTimeOffset)> forget)
    {
        if (metadata.ValueKind != JsonValueKind.Object || !metadata.TryGetProperty("version", out JsonElement version) || !version.TryGetInt32(out int v))
        {
            throw new FormatException($"it is reserved for BudgetChat's own state but holds something else.");
        }

        if (v != SnapshotVersion)
        {
            throw new FormatException($"it was written by a BudgetChat whose file format ({v}) this one does not read ({SnapshotVersion}).");
        }

        if (metadata.TryGetProperty("reservations", out JsonElement list))
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                string id = RequiredString(item, "id");
                // A completed reservation is never written here: its id is remembered in 'forget' alone.
                string stateName = RequiredString(item, "state");
                ReservationState state = ReservationStateNames.TryParse(stateName, out ReservationState parsed) && parsed != ReservationState.Completed
                    ? parsed
                    : throw new FormatException($"reservation '{id}' has an unknown state '{stateName}'.");
                string[] keys = [.. item.GetProperty("keys").EnumerateArray().Select(k => k.GetString() ?? throw new FormatException($"reservation '{id}' has a null key."))];
                bool[] holds = [.. item.GetProperty("holds").EnumerateArray().Select(h => h.GetBoolean())];
                reservations.Add(new ReservationRecord(id, state, keys, holds, Money(item, "amount"), Ticks(item, "expires_at")));
            }
        }

        if (metadata.TryGetProperty("forget", out JsonElement queue))
        {
            foreach (JsonElement item in queue.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || item[0].GetString() is not { Length: > 0 } id ||
                    !item[1].TryGetInt64(out long ticks) || ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks)
                {
                    throw new FormatException($"'forget' holds {item.GetRawText()}, not [id, ticks].");
                }

                forget.Add((id, new DateTimeOffset(ticks, TimeSpan.Zero)));
            }
        }
    }

    private static decimal? LiteLlmNumber(JsonElement entry, string name)
    {
        if (!entry.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal number)
            ? number
            : throw new FormatException($"'{name}' is not a number: {value.GetRawText()}.");
    }

    private static DateTimeOffset? LiteLlmTime(JsonElement entry, string name) => LiteLlmNumber(entry, name) is not { } seconds
        ? null
        : LiteLlmUserDict.FromUnixSeconds(seconds) ?? throw new FormatException($"'{name}' is not a time in Unix seconds: {seconds}.");

    private static DateTimeOffset OwnTime(JsonElement own, string name) =>
        own.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out DateTimeOffset time)
            ? time
            : throw new FormatException($"'{MetadataKey}.{name}' is missing or not a date.");
}
