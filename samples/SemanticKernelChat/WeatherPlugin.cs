using System.ComponentModel;
using System.Globalization;
using System.Text;
using Microsoft.SemanticKernel;

namespace SemanticKernelChat;

/// <summary>A tool with a big answer: a day's forecast in 15-minute steps, a few thousand tokens of text.</summary>
internal sealed class WeatherPlugin
{
    public int Calls { get; private set; }

    [KernelFunction("get_detailed_forecast")]
    [Description("Gets today's detailed weather forecast for a city, in 15-minute steps.")]
    public string GetDetailedForecast([Description("The city")] string city)
    {
        Calls++;
        var forecast = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Detailed forecast for {city}:\n");
        for (int step = 0; step < 96; step++)
        {
            int temperature = 12 + (int)(8 * Math.Sin(Math.PI * (step - 24) / 48));
            forecast.Append(CultureInfo.InvariantCulture, $"{step / 4:00}:{step % 4 * 15:00} {temperature} °C, {(step % 7 == 0 ? "light showers" : "partly cloudy")}, wind {8 + (step % 5)} km/h from the south-west, humidity {55 + (step % 20)}%, chance of rain {step % 7 * 5}%\n");
        }

        return forecast.ToString();
    }
}
