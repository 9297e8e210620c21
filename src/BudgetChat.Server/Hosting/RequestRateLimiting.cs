using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using BudgetChat.Server.Authentication;
using BudgetChat.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BudgetChat.Server.Hosting;

/// <summary>
/// The per-caller request rate limit of <see cref="BudgetServerLimits"/>: a token bucket per API key, or per remote
/// address for callers without a valid key, answered 429 ProblemDetails with <c>Retry-After</c> when empty.
/// </summary>
/// <remarks>Runs after authentication, so that only valid keys get a bucket of their own. This type is thread-safe.</remarks>
internal static class RequestRateLimiting
{
    public static IServiceCollection AddRequestRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(static _ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<BudgetServerOptions>>(static (rate, server) =>
        {
            BudgetServerLimits limits = server.Value.Limits;
            if (limits.PermitsPerSecond <= 0)
            {
                return;
            }

            // One token per 1/rate seconds below 1 per second, whole tokens per second above.
            bool slow = limits.PermitsPerSecond < 1;
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.Burst,
                TokensPerPeriod = slow ? 1 : (int)Math.Floor(limits.PermitsPerSecond),
                ReplenishmentPeriod = slow ? TimeSpan.FromSeconds(1 / limits.PermitsPerSecond) : TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            rate.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(PartitionKey(context), _ => bucket));
            rate.OnRejected = (rejected, cancellationToken) => RejectAsync(rejected, limits.PermitsPerSecond, cancellationToken);
        });
        return services;
    }

    // A valid key's bucket is named by the key's hash (the registry keeps no key text either); a caller without one,
    // which includes every caller in open mode, shares the bucket of its address.
    private static string PartitionKey(HttpContext context)
    {
        if (context.User.Identity?.IsAuthenticated == true &&
            !context.RequestServices.GetRequiredService<ApiKeyRegistry>().IsOpen &&
            context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
        {
            return "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)));
        }

        return "address:" + context.Connection.RemoteIpAddress;
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, double permitsPerSecond, CancellationToken cancellationToken)
    {
        HttpContext context = rejected.HttpContext;
        BudgetServerLog.RateLimited(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestRateLimiting)), permitsPerSecond);
        string detail = "Too many requests from this caller.";
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter))
        {
            int seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
            detail += $" Retry after {seconds} seconds.";
        }

        await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests.", detail).ConfigureAwait(false);
    }
}
