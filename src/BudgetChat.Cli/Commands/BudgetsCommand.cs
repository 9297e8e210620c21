using System.CommandLine;
using BudgetChat.Cli.Output;
using BudgetChat.LiteLlm;

namespace BudgetChat.Cli.Commands;

/// <summary><c>budgetchat budgets list|get|set|reset|delete</c>.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class BudgetsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var budgets = new Command("budgets", "List, show, set, reset and delete the budgets of a project.");
        budgets.Subcommands.Add(List(runner));
        budgets.Subcommands.Add(Get(runner));
        budgets.Subcommands.Add(Set(runner));
        budgets.Subcommands.Add(Reset(runner));
        budgets.Subcommands.Add(Delete(runner));
        return budgets;
    }

    private static Argument<string> KeyArgument() => new("key")
    {
        Description = "The budget's key, for example user:alice or global.",
    };

    private static Command List(CommandRunner runner)
    {
        var command = new Command("list", "List the project's budgets: limit, period, spent, reserved, remaining, and when each resets.");
        runner.SetAction(command, static async (context, cancellationToken) =>
        {
            StoreConnection connection = context.OpenStore();
            IReadOnlyList<BudgetState> budgets = await connection.Store.ListBudgetsAsync(context.Project, cancellationToken).ConfigureAwait(false);
            if (context.WritesJson)
            {
                context.WriteJson(new BudgetListJson(context.Project, [.. budgets.Select(BudgetJson.From)]), CliContext.Json.BudgetListJson);
            }
            else
            {
                BudgetWriter.WriteTable(context, budgets);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Get(CommandRunner runner)
    {
        Argument<string> key = KeyArgument();
        var command = new Command("get", "Show one budget: its limits, spend, window and spend per model.") { key };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            string k = context.Parse.GetValue(key)!;
            StoreConnection connection = context.OpenStore();
            BudgetState budget = await connection.Store.GetBudgetAsync(context.Project, k, cancellationToken).ConfigureAwait(false)
                ?? throw NotFound(context, k);
            return Write(context, budget);
        });
        return command;
    }

    private static Command Set(CommandRunner runner)
    {
        Argument<string> key = KeyArgument();
        var limit = new Option<decimal>("--limit")
        {
            Description = "The most that may be spent in a window, in US dollars.",
            HelpName = "usd",
            Required = true,
            CustomParser = ValueParsers.Money,
        };
        var period = new Option<BudgetPeriod?>("--period")
        {
            Description = "How often spend starts again from zero; none for never. A new budget has none; an existing one keeps its own.",
            HelpName = string.Join('|', ValueParsers.PeriodNames),
            CustomParser = ValueParsers.Period,
        };
        period.CompletionSources.Add(ValueParsers.PeriodNames);
        var alignment = new Option<BudgetWindowAlignment?>("--alignment")
        {
            Description = "calendar: windows start at midnight, on Monday, on the 1st; rolling: they count from the last reset. A new budget is calendar; an existing one keeps its own.",
            HelpName = "calendar|rolling",
            CustomParser = ValueParsers.Alignment,
        };
        alignment.CompletionSources.Add(ValueParsers.AlignmentNames);
        var command = new Command("set", "Create a budget, or change the main limit of an existing one (keeping its spend, other limits and alerts).")
        {
            key, limit, period, alignment,
        };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            string k = context.Parse.GetValue(key)!;
            StoreConnection connection = context.OpenStore(mayCreate: true);
            BudgetState? existing = await connection.Store.GetBudgetAsync(context.Project, k, cancellationToken).ConfigureAwait(false);
            BudgetLimit? main = existing?.Definition.Limits[0];

            // The library's rule for changing a budget's main limit: other limits, enforcement and alert thresholds stay.
            BudgetDefinition definition = LiteLlmUserDict.ToDefinition(
                existing?.Definition,
                context.Parse.GetValue(limit),
                context.Parse.GetValue(period) ?? main?.Period ?? BudgetPeriod.None,
                context.Parse.GetValue(alignment) ?? main?.Alignment ?? BudgetWindowAlignment.Calendar);
            BudgetState budget = await connection.Store.SetBudgetAsync(context.Project, k, definition, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Write(context, budget);
        });
        return command;
    }

    private static Command Reset(CommandRunner runner)
    {
        Argument<string> key = KeyArgument();
        var command = new Command("reset", "Set a budget's spend to zero and start a new window.") { key };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            string k = context.Parse.GetValue(key)!;
            StoreConnection connection = context.OpenStore();
            BudgetState budget = await connection.Store.ResetBudgetAsync(context.Project, k, cancellationToken).ConfigureAwait(false)
                ?? throw NotFound(context, k);
            return Write(context, budget);
        });
        return command;
    }

    private static Command Delete(CommandRunner runner)
    {
        Argument<string> key = KeyArgument();
        var command = new Command("delete", "Delete a budget with its spend.") { key };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            string k = context.Parse.GetValue(key)!;
            StoreConnection connection = context.OpenStore();
            if (!await connection.Store.DeleteBudgetAsync(context.Project, k, cancellationToken).ConfigureAwait(false))
            {
                throw NotFound(context, k);
            }

            if (context.WritesJson)
            {
                context.WriteJson(new DeletedJson(context.Project, k, Deleted: true), CliContext.Json.DeletedJson);
            }
            else
            {
                context.Out.WriteLine($"Deleted budget '{k}' of project '{context.Project}'.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static int Write(CliContext context, BudgetState budget)
    {
        if (context.WritesJson)
        {
            context.WriteJson(BudgetJson.From(budget), CliContext.Json.BudgetJson);
        }
        else
        {
            BudgetWriter.WriteDetails(context, budget);
        }

        return ExitCodes.Success;
    }

    private static CliException NotFound(CliContext context, string key) =>
        new(ExitCodes.Negative, $"Project '{context.Project}' has no budget '{key}'.");
}
