using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>Validates <see cref="BudgetingChatClientOptions"/> registered in a service container.</summary>
internal sealed class BudgetingChatClientOptionsValidator : IValidateOptions<BudgetingChatClientOptions>
{
    public ValidateOptionsResult Validate(string? name, BudgetingChatClientOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"BudgetingChatClientOptions.{ex.ParamName}: {ex.Message}");
        }
    }
}
