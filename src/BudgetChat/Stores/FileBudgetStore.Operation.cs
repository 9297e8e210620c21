using System.Text.Json;

namespace BudgetChat;

public sealed partial class FileBudgetStore
{
    private enum OperationKind
    {
        Get,
        Set,
        GetOrCreate,
        Delete,
        List,
        Reserve,
        Settle,
        Release,
        Charge,
        Reset,
        Sweep,
    }

    /// <summary>
    /// One call of the store contract, applied to the ledger the same way whether it is made here or replayed from the
    /// journal, so that every process that replays the journal reaches the same state.
    /// </summary>
    private sealed class Operation
    {
        public OperationKind Kind { get; init; }

        public string? Key { get; init; }

        public string[]? Keys { get; init; }

        public BudgetDefinition? Definition { get; init; }

        public DateTimeOffset? CreatedAt { get; init; }

        public decimal Amount { get; init; }

        public string? Id { get; init; }

        public string? Model { get; init; }

        /// <summary>Gets the expiry of a reservation, in UTC: only compared with the clock, so its offset does not matter.</summary>
        public DateTimeOffset ExpiresAt { get; init; }

        /// <summary>Gets a value indicating whether the operation can create a project that has no files yet.</summary>
        public bool CanCreateProject => Kind is OperationKind.Set or OperationKind.GetOrCreate;

        public object? Apply(BudgetLedger ledger, DateTimeOffset now) => Kind switch
        {
            OperationKind.Get => ledger.Get(Key!, now),
            OperationKind.Set => ledger.Set(Key!, Definition!, CreatedAt, now),
            OperationKind.GetOrCreate => ledger.GetOrCreate(Key!, Definition!, now),
            OperationKind.Delete => ledger.Delete(Key!, now),
            OperationKind.List => ledger.List(now),
            OperationKind.Reserve => ledger.Reserve(Keys!, Amount, Id!, ExpiresAt, now),
            OperationKind.Settle => ledger.Settle(Id!, Amount, Model, now),
            OperationKind.Release => ledger.Release(Id!, now),
            OperationKind.Charge => ledger.Charge(Keys!, Amount, Model, Id!, now),
            OperationKind.Reset => ledger.Reset(Key!, now),
            _ => ledger.Sweep(now),
        };

        public void Write(Utf8JsonWriter writer, DateTimeOffset now)
        {
            writer.WriteStartObject();
            writer.WriteString("op", Name(Kind));
            writer.WriteNumber("now", now.UtcTicks);
            if (Key is not null)
            {
                writer.WriteString("key", Key);
            }

            if (Keys is not null)
            {
                writer.WriteStartArray("keys");
                for (int i = 0; i < Keys.Length; i++)
                {
                    writer.WriteStringValue(Keys[i]);
                }

                writer.WriteEndArray();
            }

            if (Definition is not null)
            {
                writer.WriteNumber("limit", Definition.Limit);
                writer.WriteString("period", BudgetPeriodNames.ToName(Definition.Period));
                writer.WriteString("alignment", BudgetPeriodNames.ToName(Definition.Alignment));
                WriteThresholds(writer, Definition.AlertThresholds);
            }

            if (CreatedAt is { } createdAt)
            {
                writer.WriteString("created_at", createdAt);
            }

            switch (Kind)
            {
                case OperationKind.Reserve:
                    writer.WriteNumber("amount", Amount);
                    writer.WriteString("id", Id);
                    writer.WriteNumber("expires_at", ExpiresAt.UtcTicks);
                    break;
                case OperationKind.Settle:
                case OperationKind.Charge:
                    writer.WriteNumber("amount", Amount);
                    writer.WriteString("id", Id);
                    if (Model is not null)
                    {
                        writer.WriteString("model", Model);
                    }

                    break;
                case OperationKind.Release:
                    writer.WriteString("id", Id);
                    break;
            }

            writer.WriteEndObject();
        }

        /// <summary>Reads an operation line written by <see cref="Write"/>.</summary>
        /// <exception cref="FormatException">The line is not such an operation.</exception>
        public static Operation Parse(JsonElement line, out DateTimeOffset now)
        {
            now = Ticks(line, "now");
            OperationKind kind = ParseKind(RequiredString(line, "op"));
            var operation = new Operation
            {
                Kind = kind,
                Key = kind is OperationKind.Get or OperationKind.Set or OperationKind.GetOrCreate or OperationKind.Delete or OperationKind.Reset
                    ? RequiredString(line, "key")
                    : null,
                Keys = kind is OperationKind.Reserve or OperationKind.Charge ? ReadKeys(line) : null,
                Definition = kind is OperationKind.Set or OperationKind.GetOrCreate ? ReadDefinition(line) : null,
                CreatedAt = kind == OperationKind.Set && line.TryGetProperty("created_at", out JsonElement created)
                    ? (created.TryGetDateTimeOffset(out DateTimeOffset at) ? at : throw new FormatException("'created_at' is not a date."))
                    : null,
                Amount = kind is OperationKind.Reserve or OperationKind.Settle or OperationKind.Charge ? Money(line, "amount") : 0m,
                Id = kind is OperationKind.Reserve or OperationKind.Settle or OperationKind.Release or OperationKind.Charge
                    ? RequiredString(line, "id")
                    : null,
                Model = line.TryGetProperty("model", out JsonElement model) ? model.GetString() : null,
                ExpiresAt = kind == OperationKind.Reserve ? Ticks(line, "expires_at") : default,
            };
            return operation;
        }

        private static OperationKind ParseKind(string name) => name switch
        {
            "get" => OperationKind.Get,
            "set" => OperationKind.Set,
            "get_or_create" => OperationKind.GetOrCreate,
            "delete" => OperationKind.Delete,
            "list" => OperationKind.List,
            "reserve" => OperationKind.Reserve,
            "settle" => OperationKind.Settle,
            "release" => OperationKind.Release,
            "charge" => OperationKind.Charge,
            "reset" => OperationKind.Reset,
            "sweep" => OperationKind.Sweep,
            _ => throw new FormatException($"Unknown operation '{name}'."),
        };

        private static string Name(OperationKind kind) => kind switch
        {
            OperationKind.Get => "get",
            OperationKind.Set => "set",
            OperationKind.GetOrCreate => "get_or_create",
            OperationKind.Delete => "delete",
            OperationKind.List => "list",
            OperationKind.Reserve => "reserve",
            OperationKind.Settle => "settle",
            OperationKind.Release => "release",
            OperationKind.Charge => "charge",
            OperationKind.Reset => "reset",
            _ => "sweep",
        };

        private static string[] ReadKeys(JsonElement line)
        {
            if (!line.TryGetProperty("keys", out JsonElement keys) || keys.ValueKind != JsonValueKind.Array || keys.GetArrayLength() == 0)
            {
                throw new FormatException("'keys' is missing or empty.");
            }

            string[] result = new string[keys.GetArrayLength()];
            int i = 0;
            foreach (JsonElement key in keys.EnumerateArray())
            {
                result[i++] = key.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(key.GetString())
                    ? key.GetString()!
                    : throw new FormatException("'keys' holds something other than a key.");
            }

            return result;
        }

        private static BudgetDefinition ReadDefinition(JsonElement line)
        {
            decimal limit = Money(line, "limit");
            BudgetPeriod period = BudgetPeriodNames.Parse(RequiredString(line, "period"));
            BudgetWindowAlignment alignment = BudgetPeriodNames.ParseAlignment(RequiredString(line, "alignment"));
            return CreateDefinition(limit, period, alignment, ReadThresholds(line));
        }
    }

    // ---------------------------------------------------------------- JSON helpers shared by journal and snapshot

    private static string RequiredString(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(value.GetString())
            ? value.GetString()!
            : throw new FormatException($"'{name}' is missing or not a string.");

    private static decimal Money(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out decimal amount))
        {
            throw new FormatException($"'{name}' is missing or not a decimal number.");
        }

        return amount >= 0m ? amount : throw new FormatException($"'{name}' is negative: {amount}.");
    }

    private static DateTimeOffset Ticks(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out JsonElement value) || !value.TryGetInt64(out long ticks) ||
            ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new FormatException($"'{name}' is missing or not a time in ticks.");
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private static void WriteThresholds(Utf8JsonWriter writer, IReadOnlyList<decimal> thresholds)
    {
        if (thresholds.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("alert_thresholds");
        for (int i = 0; i < thresholds.Count; i++)
        {
            writer.WriteNumberValue(thresholds[i]);
        }

        writer.WriteEndArray();
    }

    private static decimal[] ReadThresholds(JsonElement element)
    {
        if (!element.TryGetProperty("alert_thresholds", out JsonElement thresholds))
        {
            return [];
        }

        if (thresholds.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("'alert_thresholds' is not an array.");
        }

        var result = new decimal[thresholds.GetArrayLength()];
        int i = 0;
        foreach (JsonElement threshold in thresholds.EnumerateArray())
        {
            result[i++] = threshold.ValueKind == JsonValueKind.Number && threshold.TryGetDecimal(out decimal value)
                ? value
                : throw new FormatException("'alert_thresholds' holds something other than a number.");
        }

        return result;
    }

    private static BudgetDefinition CreateDefinition(decimal limit, BudgetPeriod period, BudgetWindowAlignment alignment, decimal[] thresholds)
    {
        try
        {
            return new BudgetDefinition(limit, period, alignment, thresholds);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }
}
