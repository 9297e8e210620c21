using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>Validates <see cref="BudgetResetServiceOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class BudgetResetServiceOptionsValidator : IValidateOptions<BudgetResetServiceOptions>;
