using Microsoft.Extensions.Options;

namespace BudgetChat.LiteLlm;

/// <summary>Validates <see cref="BudgetManagerOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class BudgetManagerOptionsValidator : IValidateOptions<BudgetManagerOptions>;
