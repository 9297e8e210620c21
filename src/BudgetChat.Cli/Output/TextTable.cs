using System.Text;

namespace BudgetChat.Cli.Output;

/// <summary>
/// A table for people: a header row in capitals, columns two spaces apart, text left-aligned and numbers
/// right-aligned, no trailing spaces. Colours, when on, wrap a cell's text after it is padded, so they never shift columns.
/// </summary>
/// <remarks>Not thread-safe: one command fills and writes it.</remarks>
internal sealed class TextTable
{
    private const string Gap = "  ";
    private readonly Column[] _columns;
    private readonly List<Cell[]> _rows = [];

    /// <summary>Initializes a new instance of the <see cref="TextTable"/> class.</summary>
    /// <param name="columns">The columns: a header, and whether values align right (numbers, money).</param>
    public TextTable(params Column[] columns)
    {
        _columns = columns;
    }

    /// <summary>Gets the number of rows added.</summary>
    public int Count => _rows.Count;

    /// <summary>Adds a row of plain cells.</summary>
    public void Add(params string[] values) => Add([.. values.Select(v => new Cell(v))]);

    /// <summary>Adds a row of cells, some of them coloured.</summary>
    public void Add(params Cell[] cells)
    {
        if (cells.Length != _columns.Length)
        {
            throw new ArgumentException($"A row has {_columns.Length} cells; this one has {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
    }

    /// <summary>Writes the header and the rows.</summary>
    /// <param name="writer">Where to.</param>
    /// <param name="color">Whether to use ANSI styles (a bold header, coloured cells).</param>
    public void Write(TextWriter writer, bool color)
    {
        int[] widths = [.. _columns.Select((c, i) => _rows.Select(r => r[i].Text.Length).Prepend(c.Header.Length).Max())];
        WriteRow(writer, [.. _columns.Select(c => new Cell(c.Header, color ? Ansi.Bold : null))], widths, color);
        foreach (Cell[] row in _rows)
        {
            WriteRow(writer, row, widths, color);
        }
    }

    private void WriteRow(TextWriter writer, Cell[] cells, int[] widths, bool color)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            bool last = i == cells.Length - 1;
            string text = cells[i].Text;
            int pad = widths[i] - text.Length;
            if (i > 0)
            {
                line.Append(Gap);
            }

            if (_columns[i].AlignRight)
            {
                line.Append(' ', pad);
            }

            line.Append(color && cells[i].Style is { } style ? style + text + Ansi.Reset : text);
            if (!_columns[i].AlignRight && !last)
            {
                line.Append(' ', pad);
            }
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }

    /// <summary>A column: its header and alignment.</summary>
    /// <param name="Header">The header, in capitals.</param>
    /// <param name="AlignRight">Whether values align right.</param>
    public readonly record struct Column(string Header, bool AlignRight = false);

    /// <summary>A cell: its text and an ANSI style used when colours are on.</summary>
    /// <param name="Text">The text.</param>
    /// <param name="Style">The style (<see cref="Ansi"/>), or <see langword="null"/>.</param>
    public readonly record struct Cell(string Text, string? Style = null);
}
