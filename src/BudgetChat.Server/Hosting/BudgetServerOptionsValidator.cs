using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Hosting;

/// <summary>Checks <see cref="BudgetServerOptions"/> when the service starts. Messages never contain a key.</summary>
internal sealed class BudgetServerOptionsValidator : IValidateOptions<BudgetServerOptions>
{
    internal const long MinRequestBodyBytes = 1024;
    internal const long MaxRequestBodyBytes = 64L * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, BudgetServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("BudgetServer:DataDirectory is required.");
        }

        if (options.MaxRequestBodyBytes is < MinRequestBodyBytes or > MaxRequestBodyBytes)
        {
            failures.Add($"BudgetServer:MaxRequestBodyBytes must be between {MinRequestBodyBytes} and {MaxRequestBodyBytes}; it is {options.MaxRequestBodyBytes}.");
        }

        if (options.CompletedIdRetention <= TimeSpan.Zero)
        {
            failures.Add($"BudgetServer:CompletedIdRetention must be positive; it is {options.CompletedIdRetention}.");
        }

        if (!TryFindTimeZone(options.TimeZone, out _))
        {
            failures.Add($"BudgetServer:TimeZone '{options.TimeZone}' is not a time zone known to this machine.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.ApiKeys.Count; i++)
        {
            BudgetServerApiKey? entry = options.ApiKeys[i];
            string at = $"BudgetServer:ApiKeys:{i}";
            if (entry is null)
            {
                failures.Add($"{at} is empty.");
                continue;
            }

            if (ProjectName.Validate(entry.Project) is { } projectProblem)
            {
                failures.Add($"{at}:Project: {projectProblem}");
            }

            // Never echo the key: say only what is wrong with it.
            if (string.IsNullOrEmpty(entry.Key))
            {
                failures.Add($"{at}:Key is required.");
            }
            else if (entry.Key.Length < BudgetServerOptions.MinimumApiKeyLength)
            {
                failures.Add($"{at}:Key is shorter than {BudgetServerOptions.MinimumApiKeyLength} characters.");
            }
            else if (entry.Key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                failures.Add($"{at}:Key contains white space or control characters.");
            }
            else if (!seen.Add(entry.Key))
            {
                failures.Add($"{at}:Key is the same as an earlier key; give every project its own key.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

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
