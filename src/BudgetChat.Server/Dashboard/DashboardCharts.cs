using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Html;

namespace BudgetChat.Server.Dashboard;

/// <summary>
/// The dashboard's charts, drawn as SVG on the server: a bar of what a limit has used, a share bar, and values per day
/// as stacked bars. Colours are SVG attributes, not styles, so the pages need no inline style (their
/// <c>Content-Security-Policy</c> allows the stylesheet only).
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class DashboardCharts
{
    /// <summary>The colour of spend and of calls answered.</summary>
    public const string Blue = "#1c7ed6";

    private const string Green = "#2f9e44";
    private const string Amber = "#f08c00";
    /// <summary>The colour of refusals and of limits used up.</summary>
    public const string Red = "#e03131";
    private const string Track = "#e9ecef";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A bar of what a limit's window has spent (solid) and holds (light), against its limit.</summary>
    public static IHtmlContent UsageBar(BudgetWindowState window, int width = 160)
    {
        const int height = 12;
        decimal used = window.Used;
        string color = used >= 1m ? Red : used >= 0.8m ? Amber : Green;
        bool unlimited = window.Limit.Amount >= BudgetAmounts.Max;
        decimal spentShare = unlimited ? 0m : window.Limit.Amount <= 0m ? (window.Spent > 0m ? 1m : 0m) : Math.Min(1m, window.Spent / window.Limit.Amount);
        decimal heldShare = unlimited ? 0m : Math.Min(1m - spentShare, used - spentShare);
        string title = $"{window.Name}: {DashboardFormat.Amount(window.Spent, window.Unit)} spent, {DashboardFormat.Amount(window.Reserved, window.Unit)} held, of {DashboardFormat.Amount(window.Limit.Amount, window.Unit)}"
            + (unlimited ? string.Empty : $" ({DashboardFormat.Percent(used)})");

        var svg = new StringBuilder(400);
        svg.Append(Invariant, $"<svg class=\"usage\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Encode(title)}\">");
        svg.Append("<title>").Append(Encode(title)).Append("</title>");
        svg.Append(Invariant, $"<rect width=\"{width}\" height=\"{height}\" rx=\"3\" fill=\"{Track}\"/>");
        double spentWidth = Math.Round((double)spentShare * width, 1);
        double heldWidth = Math.Round((double)Math.Max(0m, heldShare) * width, 1);
        if (spentWidth > 0)
        {
            svg.Append(Invariant, $"<rect class=\"spent\" width=\"{spentWidth}\" height=\"{height}\" rx=\"3\" fill=\"{color}\"/>");
        }

        if (heldWidth > 0)
        {
            svg.Append(Invariant, $"<rect class=\"held\" x=\"{spentWidth}\" width=\"{heldWidth}\" height=\"{height}\" fill=\"{color}\" fill-opacity=\"0.35\"/>");
        }

        return new HtmlString(svg.Append("</svg>").ToString());
    }

    /// <summary>A bar of a share (0 to 1) of the largest value in a list.</summary>
    public static IHtmlContent ShareBar(decimal share, string title, int width = 120)
    {
        const int height = 10;
        double filled = Math.Round((double)Math.Clamp(share, 0m, 1m) * width, 1);
        return new HtmlString(string.Create(
            Invariant,
            $"<svg class=\"share\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Encode(title)}\"><title>{Encode(title)}</title><rect width=\"{width}\" height=\"{height}\" rx=\"2\" fill=\"{Track}\"/><rect width=\"{filled}\" height=\"{height}\" rx=\"2\" fill=\"{Blue}\"/></svg>"));
    }

    /// <summary>
    /// Values per day as stacked bars, one colour per series, with an axis in the values' unit and each bar's parts
    /// named in a tooltip.
    /// </summary>
    /// <param name="title">What the chart shows, for its accessible name.</param>
    /// <param name="days">The days, as <c>yyyy-MM-dd</c>, oldest first.</param>
    /// <param name="series">The series, each with its colour and one value per day.</param>
    /// <param name="format">How a value reads (dollars, a count).</param>
    /// <param name="wholeNumbers">Whether the values are counts, so that the axis steps are whole numbers.</param>
    public static IHtmlContent DailyBars(string title, IReadOnlyList<string> days, IReadOnlyList<ChartSeries> series, Func<decimal, string> format, bool wholeNumbers = false)
    {
        const int width = 600, height = 200, left = 56, right = 8, top = 12, bottom = 28;
        const int plotWidth = width - left - right, plotHeight = height - top - bottom;
        decimal most = 0m;
        for (int d = 0; d < days.Count; d++)
        {
            most = Math.Max(most, series.Sum(s => s.Values[d]));
        }

        decimal axis = NiceCeiling(most);
        if (wholeNumbers && axis > 0m)
        {
            axis = Math.Max(4m, Math.Ceiling(axis / 4m) * 4m);
        }

        var svg = new StringBuilder(8_000);
        svg.Append(Invariant, $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Encode(title)}\">");
        svg.Append("<title>").Append(Encode(title)).Append("</title>");

        // Grid lines and the axis: 0 and four steps up to the rounded maximum.
        for (int i = 0; i <= 4; i++)
        {
            decimal value = axis * i / 4m;
            double y = top + plotHeight - (double)(axis == 0m ? 0m : value / axis) * plotHeight;
            svg.Append(Invariant, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"{(i == 0 ? "#868e96" : Track)}\" stroke-width=\"1\"/>");
            svg.Append(Invariant, $"<text x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#495057\">{Encode(format(value))}</text>");
        }

        double slot = days.Count == 0 ? plotWidth : (double)plotWidth / days.Count;
        double barWidth = Math.Max(1, slot * 0.72);
        int labelEvery = Math.Max(1, (int)Math.Ceiling(days.Count / 12.0));
        for (int d = 0; d < days.Count; d++)
        {
            double x = left + (d * slot) + ((slot - barWidth) / 2);
            double y = top + plotHeight;

            // The whole day's slot first, under its bars: hovering between them shows the day's figures.
            string day = Encode(days[d]);
            string summary = string.Join(", ", series.Select(s => $"{s.Name} {format(s.Values[d])}"));
            svg.Append(Invariant, $"<rect class=\"day\" x=\"{left + (d * slot):0.##}\" y=\"{top}\" width=\"{slot:0.##}\" height=\"{plotHeight}\" fill=\"transparent\" data-day=\"{day}\"><title>{day}: {Encode(summary)}</title></rect>");
            foreach (ChartSeries part in series)
            {
                decimal value = part.Values[d];
                if (value <= 0m || axis == 0m)
                {
                    continue;
                }

                double h = (double)(value / axis) * plotHeight;
                y -= h;
                svg.Append(Invariant, $"<rect class=\"bar\" x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{barWidth:0.##}\" height=\"{h:0.##}\" fill=\"{part.Color}\"><title>{day} · {Encode(part.Name)}: {Encode(format(value))}</title></rect>");
            }

            if (d % labelEvery == 0)
            {
                svg.Append(Invariant, $"<text x=\"{x + (barWidth / 2):0.#}\" y=\"{height - 10}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#495057\">{Encode(days[d].Length >= 10 ? days[d][5..] : days[d])}</text>");
            }
        }

        return new HtmlString(svg.Append("</svg>").ToString());
    }

    /// <summary>A square of a colour, for a legend.</summary>
    public static IHtmlContent Swatch(string color) =>
        new HtmlString($"<svg class=\"swatch\" width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" rx=\"2\" fill=\"{Encode(color)}\"/></svg>");

    // 1, 2, 2.5 or 5 times a power of ten at or above the value, so the axis reads in round amounts.
    private static decimal NiceCeiling(decimal value)
    {
        if (value <= 0m)
        {
            return 0m;
        }

        decimal power = 0.0001m;
        while (power * 10m <= value)
        {
            power *= 10m;
        }

        foreach (decimal step in (ReadOnlySpan<decimal>)[1m, 2m, 2.5m, 5m, 10m])
        {
            if (power * step >= value)
            {
                return power * step;
            }
        }

        return power * 10m;
    }

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);
}
