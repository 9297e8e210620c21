using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BudgetChat.Cli.Output;

namespace BudgetChat.Cli;

/// <summary>One run of a command: its parsed command line, the global options' values, the streams, and the store it opened.</summary>
/// <remarks>Not thread-safe: one command uses it.</remarks>
internal sealed class CliContext : IAsyncDisposable
{
    // Output for a terminal or a file, never HTML: keep names and keys readable (no \u escapes of '+' or non-ASCII).
    private static readonly CliJsonContext JsonContext = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private readonly ParseResult _parse;
    private readonly GlobalOptions _options;

    public CliContext(ParseResult parse, GlobalOptions options, CliEnvironment environment)
    {
        _parse = parse;
        _options = options;
        Environment = environment;
    }

    /// <summary>Gets the streams and environment variables.</summary>
    public CliEnvironment Environment { get; }

    /// <summary>Gets stdout.</summary>
    public TextWriter Out => Environment.Out;

    /// <summary>Gets stderr.</summary>
    public TextWriter Error => Environment.Error;

    /// <summary>Gets the parsed command line.</summary>
    public ParseResult Parse => _parse;

    /// <summary>Gets the JSON serializers of the output.</summary>
    public static CliJsonContext Json => JsonContext;

    /// <summary>Gets a value indicating whether to write JSON (<c>--json</c>).</summary>
    public bool WritesJson => _parse.GetValue(_options.Json);

    /// <summary>Gets a value indicating whether to colour stdout: allowed by the environment and not turned off with <c>--no-color</c>.</summary>
    public bool Color => Environment.OutAllowsColor && !_parse.GetValue(_options.NoColor);

    /// <summary>Gets the project (<c>--project</c>).</summary>
    public string Project => _parse.GetValue(_options.Project)!;

    /// <summary>Gets <c>--url</c>.</summary>
    public Uri? Url => _parse.GetValue(_options.Url);

    /// <summary>Gets <c>--db</c>.</summary>
    public string? Database => _parse.GetValue(_options.Database);

    /// <summary>Gets <c>--api-key</c>.</summary>
    public string? ApiKey => _parse.GetValue(_options.ApiKey);

    /// <summary>Gets <c>--time-zone</c>.</summary>
    public string? TimeZone => _parse.GetValue(_options.TimeZone);

    /// <summary>Gets the store the command opened, or <see langword="null"/> before it does.</summary>
    public StoreConnection? Connection { get; private set; }

    /// <summary>Opens the store the options name (<see cref="StoreConnection.Open"/>); it is closed with the context.</summary>
    public StoreConnection OpenStore(bool mayCreate = false) => Connection ??= StoreConnection.Open(this, mayCreate);

    /// <summary>Writes one JSON document on stdout.</summary>
    public void WriteJson<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        Out.WriteLine(JsonSerializer.Serialize(value, typeInfo));
    }

    /// <summary>Writes a line of text, dimmed when colours are on (a summary or hint under a table).</summary>
    public void WriteNote(string text) => Out.WriteLine(Color ? Ansi.Dim + text + Ansi.Reset : text);

    public async ValueTask DisposeAsync()
    {
        if (Connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
