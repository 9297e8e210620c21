using Microsoft.Extensions.Options;

namespace BudgetChat.Http;

/// <summary>Validates <see cref="HostedBudgetStoreOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class HostedBudgetStoreOptionsValidator : IValidateOptions<HostedBudgetStoreOptions>;
