namespace BudgetChat.Http;

/// <summary>The body a <see cref="WebhookBudgetAlertSink"/> posts.</summary>
public enum WebhookBudgetAlertFormat
{
    /// <summary>
    /// A JSON object with every field of the alert (<c>type</c> <c>budget.alert</c>, <c>id</c>, <c>project</c>,
    /// <c>key</c>, <c>window</c>, <c>threshold</c>, <c>spent</c>, <c>limit</c>, <c>windowStart</c>, <c>windowEnd</c>,
    /// <c>runsOutAt</c>), for a receiver of your own.
    /// </summary>
    Json,

    /// <summary>A Slack incoming-webhook message, <c>{"text": "..."}</c>, with one readable sentence about the alert.</summary>
    Slack,
}
