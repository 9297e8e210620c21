using System.CommandLine;
using BudgetChat.Cli.Output;
using BudgetChat.LiteLlm;

namespace BudgetChat.Cli.Commands;

/// <summary>
/// <c>budgetchat import-litellm</c> and <c>export-litellm</c>: LiteLLM BudgetManager's <c>user_cost.json</c> into a
/// project and out of it, with <see cref="LiteLlmUserCostFile"/>.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class LiteLlmCommands
{
    /// <summary>The file name that writes the export to stdout.</summary>
    public const string StandardOutput = "-";

    public static Command CreateImport(CommandRunner runner)
    {
        var file = new Argument<string>("file")
        {
            Description = "LiteLLM BudgetManager's user_cost.json.",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Import into a project that has budgets already, adding the file's spend to theirs.",
        };
        var command = new Command("import-litellm", "Create the budgets of the users in a LiteLLM user_cost.json, with their spend.") { file, force };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            string path = Path.GetFullPath(context.Parse.GetValue(file)!);
            if (!File.Exists(path))
            {
                throw new CliException(ExitCodes.FileError, $"<file>: there is no file '{path}'.");
            }

            StoreConnection connection = context.OpenStore(mayCreate: true);

            // Importing charges each user's spend to their budget: into a project that has budgets it would add to theirs.
            int existing = (await connection.Store.ListBudgetsAsync(context.Project, cancellationToken).ConfigureAwait(false)).Count;
            if (existing > 0 && !context.Parse.GetValue(force))
            {
                throw new CliException(
                    ExitCodes.Negative,
                    $"Project '{context.Project}' has {Formats.Count(existing)} {(existing == 1 ? "budget" : "budgets")} already, and importing would add the file's spend to theirs. Import into another project (--project), or pass --force to add to them.");
            }

            var progress = new ProgressBar(context.Error, context.Environment.ErrorIsTerminal);
            int imported;
            try
            {
                imported = await LiteLlmUserCostFile.ImportAsync(connection.Store, context.Project, path, progress, timeProvider: null, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                progress.Finish();
            }

            if (context.WritesJson)
            {
                context.WriteJson(new ImportJson(context.Project, path, imported), CliContext.Json.ImportJson);
            }
            else
            {
                context.Out.WriteLine($"Imported {Formats.Count(imported)} {(imported == 1 ? "user" : "users")} from {path} into project '{context.Project}'.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateExport(CommandRunner runner)
    {
        var file = new Argument<string>("file")
        {
            Description = $"The file to write (replaced as a whole); {LiteLlmUserCostFile.DefaultFileName} in the current folder when left out, {StandardOutput} for stdout.",
            DefaultValueFactory = static _ => LiteLlmUserCostFile.DefaultFileName,
        };
        var command = new Command("export-litellm", "Write the project's user budgets to a LiteLLM user_cost.json, in LiteLLM's shape.") { file };
        runner.SetAction(command, async (context, cancellationToken) =>
        {
            string target = context.Parse.GetValue(file)!;
            bool toStdout = target == StandardOutput;
            if (toStdout && context.WritesJson)
            {
                throw CliException.Usage($"--json and the file {StandardOutput} both write to stdout; give a file name with --json.");
            }

            StoreConnection connection = context.OpenStore();

            // Read first, so that a service that refuses the key says so before any file is touched.
            IReadOnlyList<BudgetState> budgets = await connection.Store.ListBudgetsAsync(context.Project, cancellationToken).ConfigureAwait(false);
            int skipped = budgets.Count(b => LiteLlmUserDict.ToName(b.Key) is null);
            string path = toStdout ? Path.Combine(Path.GetTempPath(), $"budgetchat-export-{Guid.NewGuid():N}.json") : Path.GetFullPath(target);
            int exported;
            try
            {
                exported = await LiteLlmUserCostFile.ExportAsync(connection.Store, context.Project, path, cancellationToken).ConfigureAwait(false);
                if (toStdout)
                {
                    await context.Out.WriteLineAsync(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.FileError, $"<file>: cannot write '{path}': {Failures.OneLine(ex.Message)}", ex);
            }
            finally
            {
                if (toStdout)
                {
                    File.Delete(path);
                }
            }

            string users = $"{Formats.Count(exported)} {(exported == 1 ? "user" : "users")}";
            string left = skipped == 0 ? string.Empty : $" ({Formats.Count(skipped)} {(skipped == 1 ? "budget that is" : "budgets that are")} no user left out: LiteLLM's file holds users only)";
            if (toStdout)
            {
                await context.Error.WriteLineAsync($"Exported {users} of project '{context.Project}'{left}.").ConfigureAwait(false);
            }
            else if (context.WritesJson)
            {
                context.WriteJson(new ExportJson(context.Project, path, exported, skipped), CliContext.Json.ExportJson);
            }
            else
            {
                context.Out.WriteLine($"Exported {users} of project '{context.Project}' to {path}{left}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
