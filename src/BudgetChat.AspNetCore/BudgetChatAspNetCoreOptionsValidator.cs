using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore;

/// <summary>Validates <see cref="BudgetChatAspNetCoreOptions"/> registered in a service container.</summary>
internal sealed class BudgetChatAspNetCoreOptionsValidator : IValidateOptions<BudgetChatAspNetCoreOptions>
{
    public ValidateOptionsResult Validate(string? name, BudgetChatAspNetCoreOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"BudgetChatAspNetCoreOptions.{ex.ParamName}: {ex.Message}");
        }
    }
}
