using Microsoft.Extensions.Options;

namespace BudgetChat.SemanticKernel;

/// <summary>Validates <see cref="KernelBudgetOptions"/> through <see cref="KernelBudgetOptions.Validate"/>.</summary>
internal sealed class KernelBudgetOptionsValidator : IValidateOptions<KernelBudgetOptions>
{
    public ValidateOptionsResult Validate(string? name, KernelBudgetOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"KernelBudgetOptions.{ex.ParamName}: {ex.Message}");
        }
    }
}
