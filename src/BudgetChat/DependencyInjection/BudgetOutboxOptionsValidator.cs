using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>Validates <see cref="BudgetOutboxOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class BudgetOutboxOptionsValidator : IValidateOptions<BudgetOutboxOptions>;
