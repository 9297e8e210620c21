namespace BudgetChat.Server.Dashboard;

/// <summary>One series of <see cref="DashboardCharts.DailyBars"/>: its name, colour and one value per day.</summary>
/// <remarks>Instances are not thread-safe (the values are an array).</remarks>
internal sealed record ChartSeries(string Name, string Color, decimal[] Values);
