using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// The logger factory Kestrel gets: the application's, except that Kestrel's general category
/// (<c>Microsoft.AspNetCore.Server.Kestrel</c>, not its sub-categories) logs warnings and above only.
/// </summary>
/// <remarks>
/// <para>
/// Kestrel quotes the text of a request line or header it cannot parse (up to 128 characters) in its bad-request
/// exception, and so in the Debug entry of <c>Microsoft.AspNetCore.Server.Kestrel.BadRequests</c>, whenever that
/// general category is enabled at Information when the server is created. An <c>Authorization</c> header with an
/// obs-fold, a bare CR or a missing colon would put its API key in the log. With this factory Kestrel never quotes
/// request text; its bad-request entries still name the reason (<c>Invalid request header: ''</c>). Kestrel writes
/// nothing below Warning in that category otherwise but a few Debug lines at shutdown.
/// </para>
/// <para>Thread-safe, as the factory it wraps; it does not own that factory and disposes nothing.</para>
/// </remarks>
internal sealed class KestrelLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>Kestrel's general category, whose Information level switches its request details on.</summary>
    public const string GeneralCategory = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>
    /// Has Kestrel's <see cref="IServer"/> registration, if any, created with this factory instead of the
    /// application's. Another server (a test server) is left as it is.
    /// </summary>
    /// <param name="services">The application's services, before the application is built.</param>
    public static void UseForKestrel(IServiceCollection services)
    {
        for (int i = 0; i < services.Count; i++)
        {
            ServiceDescriptor descriptor = services[i];
            if (descriptor.ServiceType == typeof(IServer) && !descriptor.IsKeyedService &&
                descriptor.ImplementationType is { } type && type.Assembly == typeof(KestrelServerOptions).Assembly)
            {
                services[i] = ServiceDescriptor.Singleton(typeof(IServer), sp =>
                    ActivatorUtilities.CreateInstance(sp, type, new KestrelLoggerFactory(sp.GetRequiredService<ILoggerFactory>())));
            }
        }
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        return string.Equals(categoryName, GeneralCategory, StringComparison.Ordinal) ? new WarningsOnly(logger) : logger;
    }

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>Does nothing: the application's factory belongs to the container.</summary>
    public void Dispose()
    {
    }

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
