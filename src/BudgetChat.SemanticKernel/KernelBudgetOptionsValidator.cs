using Microsoft.Extensions.Options;

namespace BudgetChat.SemanticKernel;

/// <summary>Validates <see cref="KernelBudgetOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class KernelBudgetOptionsValidator : IValidateOptions<KernelBudgetOptions>;
