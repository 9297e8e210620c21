using BudgetChat.Cli;

// budgetchat: see docs/cli.md for the commands, the output and the exit codes.
return await CliApplication.RunAsync(args, CliEnvironment.FromProcess()).ConfigureAwait(false);
