namespace BudgetChat;

/// <summary>The names of <see cref="UsageMissingReason"/> values in spend records (<see cref="BudgetSpendRecord.Reason"/>).</summary>
internal static class UsageMissingReasons
{
    public static string ToName(UsageMissingReason reason) => reason switch
    {
        UsageMissingReason.StreamFailed => "no usage: the stream failed",
        UsageMissingReason.StoppedEarly => "no usage: the stream was stopped early",
        _ => "no usage reported",
    };
}
