using System.CommandLine;

namespace BudgetChat.Cli.Commands;

/// <summary>Builds the command tree of <c>budgetchat</c>.</summary>
/// <remarks>This type is thread-safe; the tree it returns is not.</remarks>
internal static class RootCommandFactory
{
    public static RootCommand Create(CommandRunner runner)
    {
        var root = new RootCommand(
            "budgetchat: the budgets and spend ledger of BudgetChat, on a budget service (--url) or a SQLite file (--db). Exit codes are in docs/cli.md.");
        runner.Options.AddTo(root);
        root.Subcommands.Add(BudgetsCommand.Create(runner));
        root.Subcommands.Add(SpendCommand.Create(runner));
        root.Subcommands.Add(VerifyCommand.Create(runner));
        root.Subcommands.Add(LiteLlmCommands.CreateImport(runner));
        root.Subcommands.Add(LiteLlmCommands.CreateExport(runner));
        root.Subcommands.Add(ServeCommand.Create(runner));
        return root;
    }
}
