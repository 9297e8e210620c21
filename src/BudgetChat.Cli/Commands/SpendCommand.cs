using System.CommandLine;
using BudgetChat.Cli.Output;
using BudgetChat.Stores;

namespace BudgetChat.Cli.Commands;

/// <summary>
/// <c>budgetchat spend</c>: the spend ledger's records, newest first, or their totals grouped by user, model, key, day,
/// hour or outcome, with the filters and paging of <see cref="BudgetSpendQuery"/>.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class SpendCommand
{
    private static readonly string[] Groupings = ["none", "user", "model", "key", "day", "hour", "outcome"];
    private static readonly string[] Filters = ["charged", "estimated", "refused", "released", "reset", "adjusted", "reduced", "downgraded", "would_refuse"];

    public static Command Create(CommandRunner runner)
    {
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "The earliest time included: an instant (2026-03-14T10:30:00Z), a UTC date (2026-03-14) or a time ago (90m, 24h, 7d, 2w).",
            HelpName = "time",
            CustomParser = ValueParsers.Time,
        };
        var to = new Option<DateTimeOffset?>("--to")
        {
            Description = "The time records must be before (excluded), written as for --from.",
            HelpName = "time",
            CustomParser = ValueParsers.Time,
        };
        var user = new Option<string?>("--user") { Description = "Only the calls of this user.", HelpName = "user" };
        var key = new Option<string?>("--key") { Description = "Only the records charged to (or refused by) this budget key.", HelpName = "key" };
        var model = new Option<string?>("--model") { Description = "Only the calls this model answered.", HelpName = "model" };
        var outcome = new Option<string?>("--outcome")
        {
            Description = "Only the records of this outcome (charged, estimated, refused, released, reset, adjusted) or with this mark (reduced, downgraded, would_refuse).",
            HelpName = "outcome",
        };
        outcome.CompletionSources.Add(Filters);
        outcome.Validators.Add(result =>
        {
            string? name = result.GetValueOrDefault<string?>();
            if (!BudgetSpendNames.TryApplyOutcomeFilter(new BudgetSpendQuery(), name, out _))
            {
                result.AddError($"--outcome: '{name}' is no outcome or mark; use one of {string.Join(", ", Filters)}.");
            }
        });
        var groupBy = new Option<string?>("--group-by")
        {
            Description = "Add the records up by none (one total), user, model, key, day, hour or outcome, instead of listing them.",
            HelpName = "grouping",
        };
        groupBy.CompletionSources.Add(Groupings);
        groupBy.Validators.Add(result =>
        {
            string? name = result.GetValueOrDefault<string?>();
            if (!BudgetSpendNames.TryParseGrouping(name, out _))
            {
                result.AddError($"--group-by: '{name}' is not a grouping; use one of {string.Join(", ", Groupings)}.");
            }
        });
        var limit = new Option<int>("--limit")
        {
            Description = $"The most records to list (1 to {BudgetSpendQuery.MaxLimit:#,0}).",
            HelpName = "count",
            DefaultValueFactory = static _ => 100,
            CustomParser = static result => (int)ValueParsers.Number(result, 1, BudgetSpendQuery.MaxLimit),
        };
        var top = new Option<int?>("--top")
        {
            Description = $"With --group-by: only this many groups, the costliest (for days and hours the earliest), 1 to {BudgetSpendQuery.MaxLimit:#,0}.",
            HelpName = "count",
            CustomParser = static result => (int)ValueParsers.Number(result, 1, BudgetSpendQuery.MaxLimit),
        };
        var before = new Option<long?>("--before")
        {
            Description = "Only records before this sequence number: the next page of a newest-first listing.",
            HelpName = "sequence",
            CustomParser = static result => ValueParsers.Number(result, 0, long.MaxValue),
        };
        var after = new Option<long?>("--after")
        {
            Description = "Only records after this sequence number: the next page of an oldest-first listing.",
            HelpName = "sequence",
            CustomParser = static result => ValueParsers.Number(result, 0, long.MaxValue),
        };
        var order = new Option<string>("--order")
        {
            Description = "newest (the default) or oldest records first.",
            HelpName = "newest|oldest",
            DefaultValueFactory = static _ => "newest",
        };
        order.CompletionSources.Add("newest", "oldest");
        order.Validators.Add(static result =>
        {
            string? name = result.GetValueOrDefault<string>();
            if (name is not ("newest" or "oldest"))
            {
                result.AddError($"--order: '{name}' is not an order; use newest or oldest.");
            }
        });

        var command = new Command("spend", "Read the spend ledger: the records of calls charged, estimated, refused and released, or their totals by group.")
        {
            from, to, user, key, model, outcome, groupBy, limit, top, before, after, order,
        };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            ParseResult parse = context.Parse;
            var query = new BudgetSpendQuery
            {
                From = parse.GetValue(from),
                To = parse.GetValue(to),
                User = parse.GetValue(user),
                Key = parse.GetValue(key),
                Model = parse.GetValue(model),
                Before = parse.GetValue(before),
                After = parse.GetValue(after),
                Limit = parse.GetValue(limit),
                Top = parse.GetValue(top),
                OldestFirst = parse.GetValue(order) == "oldest",
            };
            if (parse.GetValue(outcome) is { } filter)
            {
                BudgetSpendNames.TryApplyOutcomeFilter(query, filter, out query);
            }

            if (query.From is { } f && query.To is { } t && t < f)
            {
                throw CliException.Usage($"--to ({Formats.Time(t)}) is before --from ({Formats.Time(f)}).");
            }

            IBudgetSpendLog log = context.OpenStore().SpendLog;
            if (parse.GetValue(groupBy) is { } name && BudgetSpendNames.TryParseGrouping(name, out BudgetSpendGrouping grouping))
            {
                IReadOnlyList<BudgetSpendGroup> groups = await log.GroupSpendAsync(context.Project, query, grouping, cancellationToken).ConfigureAwait(false);
                WriteGroups(context, grouping, groups);
            }
            else
            {
                BudgetSpendPage page = await log.QuerySpendAsync(context.Project, query, cancellationToken).ConfigureAwait(false);
                WriteRecords(context, query, page);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteRecords(CliContext context, BudgetSpendQuery query, BudgetSpendPage page)
    {
        if (context.WritesJson)
        {
            context.WriteJson(new SpendPageJson(context.Project, [.. page.Records.Select(SpendRecordJson.From)], page.Next), CliContext.Json.SpendPageJson);
            return;
        }

        if (page.Records.Count == 0)
        {
            context.WriteNote($"No spend records in project '{context.Project}' match.");
            return;
        }

        var table = new TextTable(
            new("SEQ", AlignRight: true), new("TIME"), new("OUTCOME"), new("KEYS"), new("USER"), new("MODEL"),
            new("TOKENS", AlignRight: true), new("COST", AlignRight: true));
        foreach (BudgetSpendRecord record in page.Records)
        {
            string marks = BudgetSpendNames.ToNames(record.Marks);
            string outcome = BudgetSpendNames.ToName(record.Outcome) + (marks.Length == 0 ? string.Empty : $" ({marks})");
            table.Add(
                new TextTable.Cell(Formats.Count(record.Sequence)),
                new TextTable.Cell(Formats.Time(record.Time)),
                new TextTable.Cell(outcome, OutcomeStyle(record.Outcome)),
                new TextTable.Cell(record.Keys.Count == 0 ? "-" : string.Join(",", record.Keys)),
                new TextTable.Cell(record.User ?? "-"),
                new TextTable.Cell(record.Model ?? "-"),
                new TextTable.Cell(Formats.Count(record.Tokens)),
                new TextTable.Cell(record.IsCall ? Formats.Money(record.Cost) : $"= {Formats.Money(record.SpentAfter ?? 0m)}"));
        }

        table.Write(context.Out, context.Color);
        string count = $"{Formats.Count(page.Records.Count)} {(page.Records.Count == 1 ? "record" : "records")}";
        context.WriteNote(page.Next is { } next
            ? $"{count}; more with {(query.OldestFirst ? "--after" : "--before")} {next.ToString(System.Globalization.CultureInfo.InvariantCulture)}."
            : $"{count}.");
    }

    private static void WriteGroups(CliContext context, BudgetSpendGrouping grouping, IReadOnlyList<BudgetSpendGroup> groups)
    {
        string name = BudgetSpendNames.ToName(grouping);
        if (context.WritesJson)
        {
            context.WriteJson(new SpendGroupsJson(context.Project, name, [.. groups.Select(SpendGroupJson.From)]), CliContext.Json.SpendGroupsJson);
            return;
        }

        var table = new TextTable(
            new(grouping == BudgetSpendGrouping.None ? "TOTAL" : name.ToUpperInvariant()), new("CALLS", AlignRight: true),
            new("REFUSED", AlignRight: true), new("TOKENS", AlignRight: true), new("INPUT", AlignRight: true),
            new("OUTPUT", AlignRight: true), new("COST", AlignRight: true));
        foreach (BudgetSpendGroup group in groups)
        {
            table.Add(
                new TextTable.Cell(grouping == BudgetSpendGrouping.None ? "all" : group.Value ?? "(none)"),
                new TextTable.Cell(Formats.Count(group.Calls)),
                new TextTable.Cell(Formats.Count(group.Refused), group.Refused > 0 ? Ansi.Red : null),
                new TextTable.Cell(Formats.Count(group.Tokens)),
                new TextTable.Cell(Formats.Count(group.InputTokens)),
                new TextTable.Cell(Formats.Count(group.OutputTokens)),
                new TextTable.Cell(Formats.Money(group.Cost)));
        }

        if (table.Count == 0)
        {
            context.WriteNote($"No spend records in project '{context.Project}' match.");
            return;
        }

        table.Write(context.Out, context.Color);
        if (grouping == BudgetSpendGrouping.Key)
        {
            context.WriteNote("A call charged to several keys counts in each of their rows.");
        }
    }

    private static string? OutcomeStyle(BudgetSpendOutcome outcome) => outcome switch
    {
        BudgetSpendOutcome.Refused => Ansi.Red,
        BudgetSpendOutcome.Estimated => Ansi.Yellow,
        BudgetSpendOutcome.Reset or BudgetSpendOutcome.Adjusted or BudgetSpendOutcome.Released => Ansi.Dim,
        _ => null,
    };
}
