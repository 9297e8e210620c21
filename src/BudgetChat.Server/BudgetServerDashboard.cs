using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Server;

/// <summary>
/// The web dashboard at <c>/dashboard</c>: budgets, spend and the call log of a project, and (with an admin key) creating,
/// changing and resetting budgets. Bound from <c>BudgetServer:Dashboard</c> and validated with
/// <see cref="BudgetServerOptions"/>.
/// </summary>
/// <remarks>
/// With API keys, people sign in with a key of the project: an admin key may change budgets, an enforce key only reads. In
/// open mode (no keys) the dashboard needs no sign-in and, like the API, serves loopback callers only. Instances are not
/// thread-safe while being configured.
/// </remarks>
public sealed class BudgetServerDashboard
{
    /// <summary>Gets or sets a value indicating whether the service serves the dashboard. Defaults to <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how long a sign-in lasts without a visit: each page seen within that time extends it. Signing in is
    /// also lost when the service restarts (the cookie's keys live in memory). Defaults to 8 hours.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan SignInLifetime { get; set; } = TimeSpan.FromHours(8);
}
