using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Server;

/// <summary>
/// The service's connection cap and request rate limit, bound from <c>BudgetServer:Limits</c> and validated with
/// <see cref="BudgetServerOptions"/>.
/// </summary>
/// <remarks>
/// A request over the rate is answered 429 with <c>Retry-After</c>. A connection over the cap is closed by Kestrel as
/// soon as it is accepted, without an answer: a client sees a reset connection, never a 503. Instances are not
/// thread-safe while being configured.
/// </remarks>
public sealed class BudgetServerLimits
{
    /// <summary>
    /// Gets or sets how many connections the server keeps open at once (Kestrel's
    /// <c>KestrelServerLimits.MaxConcurrentConnections</c>); one more is closed without an answer. Defaults to 1000.
    /// </summary>
    [Range(1L, long.MaxValue)]
    public long MaxConcurrentConnections { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how many requests per second each caller may send on average: each API key, or each remote address
    /// for callers without a valid key (and in open mode). <c>0</c> turns the limit off. A rate of 1 or more is applied in
    /// whole requests per second (rounded down); a lower one as one request every <c>1 / rate</c> seconds (<c>0.1</c>: one
    /// every 10 s). Defaults to 1000.
    /// </summary>
    [Range(0d, 1_000_000d)]
    public double PermitsPerSecond { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how many requests a caller may send at once above <see cref="PermitsPerSecond"/> (the size of its
    /// token bucket, full at the start). Defaults to 2000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 2000;
}
