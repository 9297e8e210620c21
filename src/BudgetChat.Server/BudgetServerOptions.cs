namespace BudgetChat.Server;

/// <summary>Options of the budget service, bound from the configuration section <see cref="SectionName"/>.</summary>
/// <remarks>Validated when the service starts. Instances are not thread-safe while being configured.</remarks>
public sealed class BudgetServerOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "BudgetServer";

    /// <summary>The longest project name the service accepts.</summary>
    public const int MaxProjectLength = 128;

    /// <summary>The shortest API key the service accepts.</summary>
    public const int MinimumApiKeyLength = 16;

    /// <summary>
    /// Gets the API keys, each bound to one project. When there are none the service runs open: every caller may use
    /// every project, which it allows only while every address it listens on is a loopback address.
    /// </summary>
    public IList<BudgetServerApiKey> ApiKeys { get; } = [];

    /// <summary>
    /// Gets or sets the directory the durable store keeps its data in; a relative path is relative to the content
    /// root. Defaults to <c>data</c>.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Gets or sets the largest request body accepted, in bytes; a larger one is answered with 413. Defaults to 64 KiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Gets or sets the id of the time zone whose calendar aligns daily, weekly, monthly and yearly windows
    /// (an IANA or Windows id such as <c>Europe/Paris</c>). Defaults to <c>UTC</c>.
    /// </summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>
    /// Gets or sets how long the store remembers a settled, released or reclaimed reservation id, so that a retry within
    /// that time changes nothing. Defaults to 10 minutes.
    /// </summary>
    public TimeSpan CompletedIdRetention { get; set; } = TimeSpan.FromMinutes(10);
}
