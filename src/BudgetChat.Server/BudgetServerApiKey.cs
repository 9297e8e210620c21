using System.ComponentModel.DataAnnotations;

namespace BudgetChat.Server;

/// <summary>An API key of the budget service and the one project it may use.</summary>
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
}
