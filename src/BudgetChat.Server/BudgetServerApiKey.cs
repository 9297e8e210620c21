using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Server;

/// <summary>An API key of the budget service, the one project it may use and what it may do there.</summary>
/// <remarks>Bound from configuration (<c>BudgetServer:ApiKeys</c>); validated with <see cref="BudgetServerOptions"/>. Instances are not thread-safe while being configured.</remarks>
public sealed class BudgetServerApiKey
{
    /// <summary>Gets or sets the project the key gives access to (LiteLLM's <c>project_name</c>).</summary>
    [Required]
    [MaxLength(BudgetServerOptions.MaxProjectLength, ErrorMessage = "{0} is longer than {1} characters.")]
    public string Project { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the secret a client sends as <c>Authorization: Bearer &lt;key&gt;</c>: at least
    /// <see cref="BudgetServerOptions.MinimumApiKeyLength"/> characters, without white space. Keep it out of source
    /// control (user secrets, environment variables, a vault).
    /// </summary>
    [Required]
    [MinLength(BudgetServerOptions.MinimumApiKeyLength, ErrorMessage = "{0} is shorter than {1} characters.")]
    public string Key { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets what the key may do in its project: <see cref="BudgetServerKeyRole.Enforce"/> (read, reserve, settle,
    /// release, renew, charge, get-or-create) or <see cref="BudgetServerKeyRole.Admin"/> (also create, change, reset and delete budgets,
    /// sweep, LiteLLM's <c>/set_budget</c>). Configured as <c>enforce</c> or <c>admin</c>; defaults to
    /// <see cref="BudgetServerKeyRole.Enforce"/>, so a key given to an application cannot raise its own limits.
    /// </summary>
    [EnumDataType(typeof(BudgetServerKeyRole), ErrorMessage = "{0} must be 'enforce' or 'admin'.")]
    public BudgetServerKeyRole Role { get; set; } = BudgetServerKeyRole.Enforce;
}
