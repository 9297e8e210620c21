using System.ComponentModel.DataAnnotations;

namespace BudgetChat.SemanticKernel;

/// <summary>Options of BudgetChat's Semantic Kernel integration.</summary>
/// <remarks>
/// Configure them with <c>services.Configure&lt;KernelBudgetOptions&gt;(...)</c>; they are validated when first used. Not
/// thread-safe: set them before the services are built; the filters and the tool-loop stop read them once. The rules
/// are the data annotations on the properties (and <see cref="IValidatableObject.Validate"/> for blank names), checked
/// by a source-generated validator and by <see cref="Validate()"/>.
/// </remarks>
public sealed class KernelBudgetOptions : IValidatableObject
{
    /// <summary>The default name of the <c>KernelArguments</c> entry that names the user a call is charged to.</summary>
    public const string DefaultUserArgumentName = "budget_user";

    /// <summary>The default text of the answer that ends a tool loop the budget can no longer pay for.</summary>
    public const string DefaultToolLoopStopMessage =
        "[budget exhausted] The budget ran out before the model could read the tool results above, so the model was not asked again. This message was written by BudgetChat, not by the model.";

    /// <summary>
    /// Gets the names of the <c>KernelArguments</c> entries read for the user a call is charged to, first match
    /// first. Defaults to <see cref="DefaultUserArgumentName"/> only.
    /// </summary>
    /// <remarks>
    /// <c>user</c> is not read by default: prompt templates often use a <c>{{$user}}</c> variable for the user's
    /// message, and charging a budget named after each message would create a budget per message. Add it when your
    /// templates use <c>user</c> for the user id.
    /// </remarks>
    [MinLength(1, ErrorMessage = "{0} must name at least one KernelArguments entry to read the user from.")]
    public IList<string> UserArgumentNames { get; } = [DefaultUserArgumentName];

    /// <summary>
    /// Gets or sets the text of the assistant message that ends a tool loop when the budget refuses a later round
    /// trip (see <see cref="BudgetToolLoopStopChatClient"/>). Defaults to <see cref="DefaultToolLoopStopMessage"/>.
    /// </summary>
    [Required]
    public string ToolLoopStopMessage { get; set; } = DefaultToolLoopStopMessage;

    /// <summary>
    /// Gets or sets the amount, in US dollars, below which a budget the next round trip of a tool loop would be
    /// charged to counts as spent, so the kernel integration ends the loop after the
    /// function calls instead of asking the model again. Defaults to 0: the loop ends only when nothing is left.
    /// </summary>
    /// <remarks>
    /// Set it to roughly what a round trip costs to end a loop that would otherwise be refused (or squeezed to a
    /// few output tokens) on its next call.
    /// </remarks>
    [Range(typeof(decimal), "0", "79228162514264337593543950335")]
    public decimal StopToolLoopWhenRemainingBelow { get; set; }

    /// <summary>Checks the options, naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate() => OptionsValidation.ThrowIfFailed(new KernelBudgetOptionsValidator().Validate(null, this), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (UserArgumentNames.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult(
                $"{nameof(KernelBudgetOptions)}.{nameof(UserArgumentNames)} must not contain a blank KernelArguments name.", [nameof(UserArgumentNames)]);
        }
    }
}
