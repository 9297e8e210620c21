using System.Text.RegularExpressions;

namespace BudgetChat.Cli.Tests;

/// <summary>Reads the tables the tool prints for people: a header in capitals, columns two spaces apart, "-" for nothing.</summary>
internal static partial class TableAssert
{
    /// <summary>
    /// Checks a table's shape and gets its cells, header row first: every row has a cell per column, the columns named in
    /// <paramref name="rightAligned"/> end where their header ends and the others start where theirs starts, no line
    /// ends in spaces, and there are no colours (the tool's stdout is no terminal).
    /// </summary>
    public static string[][] Cells(IReadOnlyList<string> lines, params string[] rightAligned)
    {
        string header = lines[0];
        string[] names = Gaps().Split(header.TrimStart());
        var rows = new List<string[]>();
        foreach (string line in lines)
        {
            string context = $"Table:\n{string.Join('\n', lines)}";
            Assert.False(line.Contains('\u001b', StringComparison.Ordinal), $"Colour codes off a terminal. {context}");
            Assert.True(line == line.TrimEnd(), $"Trailing spaces. {context}");
            string[] cells = Gaps().Split(line.TrimStart());
            Assert.True(cells.Length == names.Length, $"A row of {cells.Length} cells under {names.Length} columns. {context}");

            int at = 0;
            for (int i = 0; i < cells.Length; i++)
            {
                int cell = line.IndexOf(cells[i], at, StringComparison.Ordinal);
                int column = header.IndexOf(names[i], StringComparison.Ordinal);
                at = cell + cells[i].Length;
                if (rightAligned.Contains(names[i]))
                {
                    Assert.True(cell + cells[i].Length == column + names[i].Length, $"Column {names[i]} is not right-aligned. {context}");
                }
                else
                {
                    Assert.True(cell == column, $"Column {names[i]} is not left-aligned. {context}");
                }
            }

            rows.Add(cells);
        }

        return [.. rows];
    }

    [GeneratedRegex(" {2,}")]
    private static partial Regex Gaps();
}
