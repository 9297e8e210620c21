using System.Text.Json;
using System.Text.Json.Serialization;
using BudgetChat.Http.Wire;
using BudgetChat.Server.Alerts;
using BudgetChat.Server.Authentication;
using BudgetChat.Server.Dashboard;
using BudgetChat.Server.Endpoints;
using BudgetChat.Server.Hosting;
using BudgetChat.Server.Http;
using BudgetChat.Sqlite;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace BudgetChat.Server;

/// <summary>
/// The budget service: an <see cref="IBudgetStore"/> served over HTTP (docs/budget-service-api.md), with API keys
/// bound to projects, ProblemDetails errors, LiteLLM's <c>/get_budget</c> and <c>/set_budget</c>, an OpenAPI
/// document and a health check.
/// </summary>
/// <remarks>
/// <para>
/// <c>Program.cs</c> is <c>BudgetServer.Build(BudgetServer.CreateBuilder(args)).Run()</c>. A test or another host
/// calls <see cref="CreateBuilder(string[])"/>, replaces services (<see cref="IBudgetStore"/>, <see cref="TimeProvider"/>)
/// or configuration, chooses its addresses (for example <c>builder.WebHost.UseUrls("http://127.0.0.1:0")</c>), and
/// calls <see cref="Build"/>.
/// </para>
/// <para>The members of this type are thread-safe; the builders and applications they return are not.</para>
/// </remarks>
public static class BudgetServer
{
    /// <summary>The configuration section of <see cref="BudgetResetServiceOptions"/> (the sweep schedule).</summary>
    public const string ResetServiceSectionName = BudgetServerOptions.SectionName + ":ResetService";

    /// <summary>Creates a web application builder with every service of the budget service registered.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns>The builder; change its services or configuration, then call <see cref="Build"/>.</returns>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return CreateBuilder(new WebApplicationOptions { Args = args });
    }

    /// <summary>Creates a web application builder with every service of the budget service registered.</summary>
    /// <param name="options">The options of the web application (arguments, content root, environment).</param>
    /// <returns>The builder; change its services or configuration, then call <see cref="Build"/>.</returns>
    public static WebApplicationBuilder CreateBuilder(WebApplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplicationBuilder builder = WebApplication.CreateBuilder(options);

        // Installed as a .NET tool the service runs from any folder (the content root), while its appsettings.json sits
        // next to the assembly: read that one first, so the folder's own files, the environment and the arguments
        // still override it.
        IConfigurationRoot defaults = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .Build();
        builder.Configuration.Sources.Insert(0, new ChainedConfigurationSource { Configuration = defaults, ShouldDisposeConfiguration = true });
        AddServices(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Builds the application, adds the middleware (errors, the request guard, CORS when configured, authentication, the
    /// rate limit) and maps every route.
    /// </summary>
    /// <param name="builder">A builder from <see cref="CreateBuilder(string[])"/>.</param>
    /// <returns>The application, ready to start.</returns>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Kestrel would quote a header it cannot parse, API key included, in its log (KestrelLoggerFactory).
        KestrelLoggerFactory.UseForKestrel(builder.Services);
        WebApplication app = builder.Build();

        // Check every option and open the store now, before the host starts (which would log the failure with its
        // stack trace): a bad setting, a data directory that cannot be used or a damaged file stops here, by name.
        app.Services.GetService<IStartupValidator>()?.Validate();
        _ = app.Services.GetRequiredService<IBudgetStore>();

        // First, so that every answer, errors included, says Connection: close when Kestrel will close the connection.
        app.UseMiddleware<UnreadBodyMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Host, Origin and content type first (docs/budget-service-api.md, "Requests from web pages"), then CORS when
        // origins are configured; the rate limit after authentication, so that each valid key has its own.
        app.UseMiddleware<RequestGuardMiddleware>();
        if (app.Services.GetRequiredService<IOptions<BudgetServerOptions>>().Value.Cors.AllowedOrigins.Count > 0)
        {
            app.UseCors();
        }

        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapBudgetEndpoints();
        return app;
    }

    /// <summary>
    /// Maps the routes of the budget service: <c>/v1/projects/{project}/...</c>, <c>POST /get_budget</c>,
    /// <c>POST /set_budget</c>, <c>GET /health</c>, <c>GET /openapi/v1.json</c> and, unless
    /// <see cref="BudgetServerDashboard.Enabled"/> is off, the dashboard's pages under <c>/dashboard</c>.
    /// </summary>
    /// <param name="endpoints">The application, with the services of <see cref="CreateBuilder(string[])"/> and authentication and authorization middleware.</param>
    /// <returns><paramref name="endpoints"/>, for chaining.</returns>
    public static IEndpointRouteBuilder MapBudgetEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        BudgetEndpoints.Map(endpoints);
        LiteLlmEndpoints.Map(endpoints);
        endpoints.MapHealthChecks("/health").AllowAnonymous();
        endpoints.MapOpenApi().AllowAnonymous();
        DashboardSetup.MapDashboard(endpoints);
        return endpoints;
    }

    private static void AddServices(IServiceCollection services, ConfigurationManager configuration)
    {
        services.AddOptions<BudgetServerOptions>()
            .Bind(configuration.GetSection(BudgetServerOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetServerOptions>, BudgetServerOptionsValidator>());
        services.AddOptions<BudgetStoreOptions>().Configure<IOptions<BudgetServerOptions>>(static (store, server) =>
        {
            if (BudgetServerOptionsValidator.TryFindTimeZone(server.Value.TimeZone, out TimeZoneInfo timeZone))
            {
                store.TimeZone = timeZone;
            }

            store.CompletedIdRetention = server.Value.CompletedIdRetention;
        });
        services.AddOptions<BudgetResetServiceOptions>().Bind(configuration.GetSection(ResetServiceSectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetResetServiceOptions>, ResetServiceOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        AddDefaultStore(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BudgetResetService>());

        services.AddSingleton<ApiKeyRegistry>();
        services.AddSingleton<ProjectAlertWebhooks>();
        services.AddHttpClient(WebhookBudgetAlertServiceCollectionExtensions.HttpClientName)
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHostedService<ListenAddressGuard>();
        services.AddAuthentication(ProjectAccess.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ProjectAccess.SchemeName, configureOptions: null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ProjectAccess.ProjectPolicy, policy => policy.RequireAuthenticatedUser().AddRequirements(new ProjectAccessRequirement()))
            .AddPolicy(ProjectAccess.CallerPolicy, policy => policy.RequireAuthenticatedUser());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, ProjectAccessHandler>());
        DashboardSetup.AddDashboard(services);

        services.AddRequestRateLimiting();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<BudgetServerOptions>>(static (cors, server) =>
        {
            string[] origins = [.. server.Value.Cors.AllowedOrigins.Select(static o => BudgetServerCors.TryNormalizeOrigin(o, out string n) ? n : o)];
            if (origins.Length > 0)
            {
                cors.AddDefaultPolicy(policy => policy.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod());
            }
        });

        // First of the writers, which the service asks in order: LiteLLM's routes answer errors in LiteLLM's shape.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, LiteLlmErrorWriter>());
        services.AddProblemDetails();
        services.AddExceptionHandler<BudgetServerExceptionHandler>();
        services.AddHealthChecks().AddCheck<BudgetStoreHealthCheck>("budget-store");
        services.AddOpenApi(options => options.AddDocumentTransformer(static (document, _, _) =>
        {
            document.Info.Title = "BudgetChat budget service";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key bound to one project (BudgetServer:ApiKeys).",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] });
            return Task.CompletedTask;
        }).AddSchemaTransformer(WireSchemas.TransformAsync));

        services.ConfigureHttpJsonOptions(static options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, WireJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Insert(1, LiteLlmJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Insert(2, LiteLlmErrorJsonContext.Default);
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        });
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<BudgetServerOptions>>(static (kestrel, server) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = server.Value.MaxRequestBodyBytes;

            // Over the cap Kestrel closes a new connection at once, without an answer (no 503).
            kestrel.Limits.MaxConcurrentConnections = server.Value.Limits.MaxConcurrentConnections;
        });
    }

    // ---------------------------------------------------------------- the store
    // The durable default: SQLite in BudgetServer:DataDirectory (relative to the content root). Registered with TryAdd,
    // so a host or a test that registered its own IBudgetStore (for example with AddSqliteBudgetStore) keeps it.
    private static void AddDefaultStore(IServiceCollection services) =>
        services.TryAddSingleton<IBudgetStore>(static sp =>
        {
            BudgetServerOptions server = sp.GetRequiredService<IOptions<BudgetServerOptions>>().Value;
            string root = sp.GetRequiredService<IHostEnvironment>().ContentRootPath;
            return new SqliteBudgetStore(
                new SqliteBudgetStoreOptions
                {
                    DataDirectory = Path.GetFullPath(server.DataDirectory, root),
                    Ledger = sp.GetRequiredService<IOptions<BudgetStoreOptions>>().Value,
                },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger<SqliteBudgetStore>());
        });
}
