using Microsoft.Extensions.Options;

namespace BudgetChat.Http;

/// <summary>Validates <see cref="WebhookBudgetAlertSinkOptions"/> by their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class WebhookBudgetAlertSinkOptionsValidator : IValidateOptions<WebhookBudgetAlertSinkOptions>;
