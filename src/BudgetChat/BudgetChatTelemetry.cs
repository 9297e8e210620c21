namespace BudgetChat;

/// <summary>Names under which BudgetChat reports telemetry.</summary>
public static class BudgetChatTelemetry
{
    /// <summary>
    /// The name of the meter (<c>BudgetChat</c>) with the instruments <c>budgetchat.spend</c> (USD, by model),
    /// <c>budgetchat.reservations</c> (by outcome), <c>budgetchat.estimate.error</c> (USD) and
    /// <c>budgetchat.usage.missing</c>.
    /// </summary>
    public const string MeterName = BudgetChatMetrics.MeterName;
}
