using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Hosting;

/// <summary>Checks <see cref="BudgetServerOptions"/> when the service starts (source-generated from their data annotations).</summary>
[OptionsValidator]
internal sealed partial class BudgetServerOptionsValidator : IValidateOptions<BudgetServerOptions>
{
    /// <summary>Finds a time zone by IANA or Windows id; <c>UTC</c> is found on every machine, with or without time zone data.</summary>
    internal static bool TryFindTimeZone(string? id, out TimeZoneInfo timeZone)
    {
        timeZone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        if (string.Equals(id, "UTC", StringComparison.OrdinalIgnoreCase) || string.Equals(id, "Etc/UTC", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out timeZone!);
    }
}
