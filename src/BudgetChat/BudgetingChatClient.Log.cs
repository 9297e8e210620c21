using Microsoft.Extensions.Logging;

namespace BudgetChat;

/// <content>Source-generated log messages.</content>
public sealed partial class BudgetingChatClient
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Call refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Debug, "Budget '{Key}' cannot cover {Requested} output tokens; the call is sent with MaxOutputTokens = {Reduced}.")]
        public static partial void Reduced(ILogger logger, string key, int requested, int reduced);

        [LoggerMessage(3, LogLevel.Warning, "Model '{ModelId}' reported no usage ({Reason}); charged an estimate of {InputTokens} input and {OutputTokens} output tokens: ${Cost}.")]
        public static partial void UsageMissing(ILogger logger, string modelId, UsageMissingReason reason, int inputTokens, int outputTokens, decimal cost);

        [LoggerMessage(4, LogLevel.Warning, "Could not settle call {ReservationId} for ${Cost}; the outbox records it when the store takes it.")]
        public static partial void SettleFailed(ILogger logger, string reservationId, decimal cost, Exception? exception);

        [LoggerMessage(5, LogLevel.Warning, "Could not release reservation {ReservationId}; the store reclaims it when it expires.")]
        public static partial void ReleaseFailed(ILogger logger, string reservationId, Exception exception);

        [LoggerMessage(6, LogLevel.Debug, "Settled reservation {ReservationId}: model '{ModelId}' cost ${Cost} of ${Reserved} held.")]
        public static partial void Settled(ILogger logger, string reservationId, string modelId, decimal cost, decimal reserved);

        [LoggerMessage(7, LogLevel.Debug, "Released reservation {ReservationId}: the call failed or was cancelled, nothing charged.")]
        public static partial void Released(ILogger logger, string reservationId);

        [LoggerMessage(8, LogLevel.Information, "Budget '{Key}' is ready with a limit of ${Limit} (created on first use, or already there).")]
        public static partial void UserBudgetReady(ILogger logger, string key, decimal limit);

        [LoggerMessage(9, LogLevel.Warning, "The budget store cannot be reached; the call in project '{Project}' goes to the model unbudgeted (StoreFailureMode is FailOpen), and its cost is charged afterwards if the store is back.")]
        public static partial void FailedOpen(ILogger logger, string project, Exception exception);

        [LoggerMessage(11, LogLevel.Information, "Call {ReservationId} ended (cost ${Cost}) after its stream was taken as abandoned and charged what was held; nothing more is charged.")]
        public static partial void EndedAfterAbandoned(ILogger logger, string reservationId, decimal cost);

        [LoggerMessage(10, LogLevel.Error, "Could not record call {ChargeId} for ${Cost}: the outbox has stopped; this cost is not recorded.")]
        public static partial void ChargeFailed(ILogger logger, string chargeId, decimal cost, Exception exception);

        [LoggerMessage(12, LogLevel.Error, "The store refused to settle call {ReservationId} for ${Cost}: the id {Conflict}; this cost is not recorded. Does another process use the same ids?")]
        public static partial void SettleConflict(ILogger logger, string reservationId, decimal cost, string conflict);

        [LoggerMessage(13, LogLevel.Warning, "Observe mode: the call would have been refused by the {Window} limit of budget '{Key}'; it goes ahead (held and charged as usual).")]
        public static partial void WouldRefuse(ILogger logger, string key, string window);

        [LoggerMessage(14, LogLevel.Information, "The call for model '{FromModel}' goes to the cheaper '{ToModel}' ({Reason}: the {Window} limit of budget '{Key}').")]
        public static partial void Downgraded(ILogger logger, string fromModel, string toModel, string reason, string? key, string? window);

        [LoggerMessage(15, LogLevel.Warning, "BudgetingChatClientOptions.OnModelDowngraded threw; the call goes ahead on the cheaper model.")]
        public static partial void DowngradeCallbackFailed(ILogger logger, Exception exception);

        [LoggerMessage(16, LogLevel.Warning, "Could not write the spend record of a {Outcome} call; the call's spend is unaffected.")]
        public static partial void SpendRecordFailed(ILogger logger, BudgetSpendOutcome outcome, Exception exception);
    }
}
