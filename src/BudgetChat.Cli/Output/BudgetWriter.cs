namespace BudgetChat.Cli.Output;

/// <summary>Writes budgets for people: one as a list of its figures, several as a table.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class BudgetWriter
{
    /// <summary>Writes the budgets of a project as a table, one row each.</summary>
    public static void WriteTable(CliContext context, IReadOnlyList<BudgetState> budgets)
    {
        if (budgets.Count == 0)
        {
            context.WriteNote($"Project '{context.Project}' has no budgets.");
            return;
        }

        var table = new TextTable(
            new("KEY"), new("LIMIT", AlignRight: true), new("PERIOD"), new("SPENT", AlignRight: true),
            new("RESERVED", AlignRight: true), new("REMAINING", AlignRight: true), new("RESETS"));
        foreach (BudgetState budget in budgets)
        {
            table.Add(
                new TextTable.Cell(budget.Key),
                new TextTable.Cell(Formats.Money(budget.Limit)),
                new TextTable.Cell(Formats.Period(budget.Definition.Period)),
                new TextTable.Cell(Formats.Money(budget.Spent)),
                new TextTable.Cell(Formats.Money(budget.Reserved)),
                new TextTable.Cell(Formats.Money(budget.Remaining), RemainingStyle(budget.Remaining, budget.Limit)),
                new TextTable.Cell(Formats.Time(budget.WindowEnd)));
        }

        table.Write(context.Out, context.Color);
        context.WriteNote($"{Formats.Count(budgets.Count)} {(budgets.Count == 1 ? "budget" : "budgets")} in project '{context.Project}'.");
    }

    /// <summary>Writes one budget: its figures, then its limits when it has several, then its spend per model.</summary>
    public static void WriteDetails(CliContext context, BudgetState budget)
    {
        bool color = context.Color;
        TextWriter output = context.Out;
        (string Label, string Value, string? Style)[] rows =
        [
            ("Key", budget.Key, null),
            ("Project", budget.Project, null),
            ("Limit", Formats.Limit(budget.Definition.Limits[0]), null),
            ("Spent", Formats.Money(budget.Spent), null),
            ("Reserved", Formats.Money(budget.Reserved), null),
            ("Remaining", Formats.Money(budget.Remaining), RemainingStyle(budget.Remaining, budget.Limit)),
            ("Window", budget.WindowEnd is null ? $"since {Formats.Time(budget.WindowStart)}" : $"{Formats.Time(budget.WindowStart)} to {Formats.Time(budget.WindowEnd)}", null),
            ("Runs out", Formats.Time(budget.RunsOutAt), budget.RunsOutAt is null ? null : Ansi.Yellow),
            ("Enforcement", Formats.Enforcement(budget.Definition.Enforcement), null),
            ("Alerts", budget.Definition.AlertThresholds.Count == 0 ? "none" : string.Join(", ", budget.Definition.AlertThresholds.Select(Formats.Percent)), null),
            ("Created", Formats.Time(budget.CreatedAt), null),
            ("Updated", Formats.Time(budget.UpdatedAt), null),
        ];
        int width = rows.Max(r => r.Label.Length);
        foreach ((string label, string value, string? style) in rows)
        {
            string padded = label.PadRight(width);
            output.WriteLine(color
                ? $"{Ansi.Bold}{padded}{Ansi.Reset}  {(style is null ? value : style + value + Ansi.Reset)}"
                : $"{padded}  {value}");
        }

        if (budget.Windows.Count > 1)
        {
            output.WriteLine();
            var limits = new TextTable(
                new("LIMIT"), new("AMOUNT", AlignRight: true), new("PERIOD"), new("MODELS"), new("SPENT", AlignRight: true),
                new("RESERVED", AlignRight: true), new("REMAINING", AlignRight: true), new("RESETS"));
            foreach (BudgetWindowState window in budget.Windows)
            {
                limits.Add(
                    new TextTable.Cell(window.Name),
                    new TextTable.Cell(Formats.Amount(window.Limit.Amount, window.Unit)),
                    new TextTable.Cell(Formats.Period(window.Limit.Period)),
                    new TextTable.Cell(window.Limit.AppliesToEveryModel ? "all" : string.Join(",", window.Limit.Models)),
                    new TextTable.Cell(Formats.Amount(window.Spent, window.Unit)),
                    new TextTable.Cell(Formats.Amount(window.Reserved, window.Unit)),
                    new TextTable.Cell(Formats.Amount(window.Remaining, window.Unit), RemainingStyle(window.Remaining, window.Limit.Amount)),
                    new TextTable.Cell(Formats.Time(window.End)));
            }

            limits.Write(output, color);
        }

        if (budget.SpendByModel.Count > 0)
        {
            output.WriteLine();
            var models = new TextTable(new("MODEL"), new("SPENT", AlignRight: true));
            foreach ((string model, decimal spent) in budget.SpendByModel.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal))
            {
                models.Add(model, Formats.Money(spent));
            }

            models.Write(output, color);
        }
    }

    // Red when nothing is left, yellow under a tenth of the limit: what a person scanning the table must see.
    private static string? RemainingStyle(decimal remaining, decimal limit) =>
        remaining <= 0m && limit > 0m ? Ansi.Red : remaining < limit / 10m ? Ansi.Yellow : null;
}
