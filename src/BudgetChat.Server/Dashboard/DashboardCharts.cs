using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BudgetChat.Stores;
using Microsoft.AspNetCore.Html;

namespace BudgetChat.Server.Dashboard;

/// <summary>
/// The dashboard's charts, drawn as SVG on the server: a bar of what a limit has used, a share bar, and spend per day
/// stacked by model. Colours are SVG attributes, not styles, so the pages need no inline style (their
/// <c>Content-Security-Policy</c> allows the stylesheet only).
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class DashboardCharts
{
    /// <summary>The colours of the series of <see cref="DailySpend"/>, the last for the rest.</summary>
    public static readonly string[] SeriesColors = ["#1c7ed6", "#f76707", "#2f9e44", "#ae3ec9", "#0c8599", "#adb5bd"];

    private const string Green = "#2f9e44";
    private const string Amber = "#f08c00";
    private const string Red = "#e03131";
    private const string Track = "#e9ecef";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A bar of what a limit's window has spent (solid) and holds (light), against its limit.</summary>
    public static IHtmlContent UsageBar(BudgetWindowState window, int width = 160)
    {
        const int height = 12;
        decimal used = DashboardFormat.Used(window);
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
            $"<svg class=\"share\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Encode(title)}\"><title>{Encode(title)}</title><rect width=\"{width}\" height=\"{height}\" rx=\"2\" fill=\"{Track}\"/><rect width=\"{filled}\" height=\"{height}\" rx=\"2\" fill=\"{SeriesColors[0]}\"/></svg>"));
    }

    /// <summary>A square of a series' colour, for a legend.</summary>
    public static IHtmlContent Swatch(int series) =>
        new HtmlString($"<svg class=\"swatch\" width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" rx=\"2\" fill=\"{SeriesColors[Math.Min(series, SeriesColors.Length - 1)]}\"/></svg>");

    /// <summary>
    /// Spend per day as stacked bars, one colour per series (<see cref="SeriesColors"/>), with a dollar axis and each
    /// bar's parts named in a tooltip.
    /// </summary>
    /// <param name="days">The days, as <c>yyyy-MM-dd</c>, oldest first.</param>
    /// <param name="series">The series (models, and the rest last), each with one cost per day.</param>
    public static IHtmlContent DailySpend(IReadOnlyList<string> days, IReadOnlyList<(string Name, decimal[] Costs)> series)
    {
        const int width = 760, height = 240, left = 64, right = 8, top = 12, bottom = 28;
        const int plotWidth = width - left - right, plotHeight = height - top - bottom;
        decimal most = 0m;
        for (int d = 0; d < days.Count; d++)
        {
            most = Math.Max(most, series.Sum(s => s.Costs[d]));
        }

        decimal axis = NiceCeiling(most);
        var svg = new StringBuilder(8_000);
        svg.Append(Invariant, $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Spend per day by model\">");
        svg.Append("<title>Spend per day by model</title>");

        // Grid lines and the dollar axis: 0 and four steps up to the rounded maximum.
        for (int i = 0; i <= 4; i++)
        {
            decimal value = axis * i / 4m;
            double y = top + plotHeight - (double)(axis == 0m ? 0m : value / axis) * plotHeight;
            svg.Append(Invariant, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"{(i == 0 ? "#868e96" : Track)}\" stroke-width=\"1\"/>");
            svg.Append(Invariant, $"<text x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#495057\">{Encode(DashboardFormat.Money(value))}</text>");
        }

        double slot = days.Count == 0 ? plotWidth : (double)plotWidth / days.Count;
        double barWidth = Math.Max(1, slot * 0.72);
        int labelEvery = Math.Max(1, (int)Math.Ceiling(days.Count / 12.0));
        for (int d = 0; d < days.Count; d++)
        {
            double x = left + (d * slot) + ((slot - barWidth) / 2);
            double y = top + plotHeight;

            // The whole day's slot first, under its bars: hovering between them shows the day's total.
            decimal total = series.Sum(s => s.Costs[d]);
            svg.Append(Invariant, $"<rect class=\"day\" x=\"{left + (d * slot):0.##}\" y=\"{top}\" width=\"{slot:0.##}\" height=\"{plotHeight}\" fill=\"transparent\" data-day=\"{Encode(days[d])}\" data-total=\"{total.ToString(Invariant)}\"><title>{Encode($"{days[d]}: {DashboardFormat.Money(total)}")}</title></rect>");
            for (int s = 0; s < series.Count; s++)
            {
                decimal cost = series[s].Costs[d];
                if (cost <= 0m || axis == 0m)
                {
                    continue;
                }

                double h = (double)(cost / axis) * plotHeight;
                y -= h;
                string color = SeriesColors[Math.Min(s, SeriesColors.Length - 1)];
                svg.Append(Invariant, $"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{barWidth:0.##}\" height=\"{h:0.##}\" fill=\"{color}\"><title>{Encode($"{days[d]} · {series[s].Name}: {DashboardFormat.Money(cost)}")}</title></rect>");
            }

            if (d % labelEvery == 0)
            {
                svg.Append(Invariant, $"<text x=\"{x + (barWidth / 2):0.#}\" y=\"{height - 10}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#495057\">{Encode(days[d].Length >= 10 ? days[d][5..] : days[d])}</text>");
            }

        }

        return new HtmlString(svg.Append("</svg>").ToString());
    }

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
