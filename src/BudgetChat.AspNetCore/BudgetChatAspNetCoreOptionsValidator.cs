using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore;

/// <summary>Validates <see cref="BudgetChatAspNetCoreOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class BudgetChatAspNetCoreOptionsValidator : IValidateOptions<BudgetChatAspNetCoreOptions>;
