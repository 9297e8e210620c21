namespace BudgetChat;

/// <summary>Why a call was charged by estimate rather than from reported usage.</summary>
internal enum UsageMissingReason
{
    /// <summary>The response finished without usage.</summary>
    NotReported,

    /// <summary>The stream failed after content had arrived.</summary>
    StreamFailed,

    /// <summary>The caller stopped reading the stream before it finished.</summary>
    StoppedEarly,
}
