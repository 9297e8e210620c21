using System.CommandLine;
using BudgetChat.Cli.Output;

namespace BudgetChat.Cli.Commands;

/// <summary>
/// <c>budgetchat verify [key]</c>: checks with <see cref="BudgetSpendVerifier"/> that each budget's spend records add up to
/// its spend, prints each budget's figures, and exits with <see cref="ExitCodes.Negative"/> when one does not balance.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class VerifyCommand
{
    public static Command Create(CommandRunner runner)
    {
        var key = new Argument<string?>("key")
        {
            Description = "Check only this budget; every budget of the project when left out.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("verify", "Check that each budget's spend records add up to its spend in its current window.") { key };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            StoreConnection connection = context.OpenStore();
            IBudgetSpendLog log = connection.SpendLog;
            IReadOnlyList<BudgetSpendCheck> checks;
            if (context.Parse.GetValue(key) is { } k)
            {
                BudgetSpendCheck check = await BudgetSpendVerifier.VerifyAsync(connection.Store, log, context.Project, k, cancellationToken).ConfigureAwait(false)
                    ?? throw new CliException(ExitCodes.Negative, $"Project '{context.Project}' has no budget '{k}'.");
                checks = [check];
            }
            else
            {
                checks = await BudgetSpendVerifier.VerifyAsync(connection.Store, log, context.Project, cancellationToken).ConfigureAwait(false);
            }

            bool balanced = checks.All(c => c.IsBalanced);
            if (context.WritesJson)
            {
                context.WriteJson(new VerifyJson(context.Project, balanced, [.. checks.Select(VerifyCheckJson.From)]), CliContext.Json.VerifyJson);
            }
            else
            {
                Write(context, checks);
            }

            return balanced ? ExitCodes.Success : ExitCodes.Negative;
        });
        return command;
    }

    private static void Write(CliContext context, IReadOnlyList<BudgetSpendCheck> checks)
    {
        if (checks.Count == 0)
        {
            context.WriteNote($"Project '{context.Project}' has no budgets.");
            return;
        }

        var table = new TextTable(
            new("KEY"), new("WINDOW START"), new("SPENT", AlignRight: true), new("RECORDED", AlignRight: true),
            new("CALLS", AlignRight: true), new("STATUS"));
        foreach (BudgetSpendCheck check in checks)
        {
            table.Add(
                new TextTable.Cell(check.Key),
                new TextTable.Cell(Formats.Time(check.WindowStart)),
                new TextTable.Cell(Formats.Money(check.Spent)),
                new TextTable.Cell(Formats.Money(check.Recorded)),
                new TextTable.Cell(Formats.Count(check.Records)),
                check.IsBalanced
                    ? new TextTable.Cell("ok", Ansi.Green)
                    : new TextTable.Cell($"OFF BY {Formats.Money(check.Spent - check.Recorded)}", Ansi.Red));
        }

        table.Write(context.Out, context.Color);
        int off = checks.Count(c => !c.IsBalanced);
        context.WriteNote(off == 0
            ? $"All {Formats.Count(checks.Count)} {(checks.Count == 1 ? "budget balances" : "budgets balance")}."
            : $"{Formats.Count(off)} of {Formats.Count(checks.Count)} {(checks.Count == 1 ? "budget" : "budgets")} {(off == 1 ? "does" : "do")} not balance: the spend is not what the records add up to.");
    }
}
