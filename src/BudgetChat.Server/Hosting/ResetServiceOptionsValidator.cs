using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Hosting;

/// <summary>Checks the sweep schedule (<c>BudgetServer:ResetService</c>) when the service starts, by <see cref="BudgetResetServiceOptions"/>' data annotations.</summary>
[OptionsValidator]
internal sealed partial class ResetServiceOptionsValidator : IValidateOptions<BudgetResetServiceOptions>;
