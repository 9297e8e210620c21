using System.Diagnostics;
using BudgetChat.LiteLlm;

namespace BudgetChat.Cli.Output;

/// <summary>
/// A progress bar on stderr for an import of many users (<see cref="LiteLlmImportProgress"/>), redrawn in place with a
/// carriage return. It draws only on a terminal and for a large file, so pipes and logs never see it.
/// </summary>
/// <remarks>Reports come from the importing thread only; not thread-safe.</remarks>
internal sealed class ProgressBar : IProgress<LiteLlmImportProgress>
{
    /// <summary>The fewest users a file must have for the bar to show: smaller imports end before it would help.</summary>
    public const int MinimumUsers = 250;

    private const int Width = 30;
    private static readonly long RedrawTicks = Stopwatch.Frequency / 10;

    private readonly TextWriter _error;
    private readonly bool _enabled;
    private long _drawnAt;
    private bool _drawn;

    /// <summary>Initializes a new instance of the <see cref="ProgressBar"/> class.</summary>
    /// <param name="error">stderr.</param>
    /// <param name="enabled">Whether stderr is a terminal.</param>
    public ProgressBar(TextWriter error, bool enabled)
    {
        _error = error;
        _enabled = enabled;
    }

    /// <inheritdoc/>
    public void Report(LiteLlmImportProgress value)
    {
        if (!_enabled || value.Total < MinimumUsers)
        {
            return;
        }

        // At most ten redraws a second, and always the last one, so the bar ends full.
        long now = Stopwatch.GetTimestamp();
        if (_drawn && value.Imported < value.Total && now - _drawnAt < RedrawTicks)
        {
            return;
        }

        int filled = (int)((long)Width * value.Imported / value.Total);
        _error.Write($"\rImporting [{new string('#', filled)}{new string('-', Width - filled)}] {Formats.Count(value.Imported)}/{Formats.Count(value.Total)} users");
        _error.Flush();
        _drawn = true;
        _drawnAt = now;
    }

    /// <summary>Ends the bar's line, so that what follows starts on a line of its own.</summary>
    public void Finish()
    {
        if (_drawn)
        {
            _error.WriteLine();
            _drawn = false;
        }
    }
}
