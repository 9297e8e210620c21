using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>Validates <see cref="BudgetStoreOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class BudgetStoreOptionsValidator : IValidateOptions<BudgetStoreOptions>;
