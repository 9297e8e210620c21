using Microsoft.Extensions.Options;

namespace BudgetChat;

/// <summary>Validates <see cref="BudgetingChatClientOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class BudgetingChatClientOptionsValidator : IValidateOptions<BudgetingChatClientOptions>;
