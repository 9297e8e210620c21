using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace BudgetChat;

public sealed partial class BudgetingChatClient
{
    /// <inheritdoc/>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new BudgetedStream(this, messages, options, cancellationToken);

    private IAsyncEnumerator<ChatResponseUpdate> GetInnerStream(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken) =>
        base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);

    /// <summary>
    /// One streamed call: admitted at the first <see cref="MoveNextAsync"/>, each update passed through as it arrives,
    /// settled (or released) when the stream ends, fails, or is disposed early.
    /// </summary>
    /// <remarks>
    /// Written by hand rather than as an async iterator so that an update the provider has already produced is passed
    /// on without a state machine, and the first enumeration is the enumerable itself (one object per call). Where the
    /// provider makes it wait, the awaiting methods use pooled state machines, so a long stream allocates nothing per
    /// update either. Like any enumerator, not for concurrent use.
    /// </remarks>
    private sealed class BudgetedStream(BudgetingChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken callToken)
        : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        // Copied from memory rather than built field by field on the stack, which the caller then reads back whole
        // before the writes have landed (a store-forwarding stall on every update).
        private static readonly ValueTask<bool> More = new(true);
        private static readonly ValueTask<bool> NoMore = new(false);

        // The first enumeration on the thread that made the stream is this object, as with a compiler-made iterator;
        // any other is a new one.
        private readonly int _threadId = Environment.CurrentManagedThreadId;
        private bool _enumerated;
        private CancellationToken _token;
        private CancellationTokenSource? _linked;
        private State _state;
        private Admission? _admission;
        private IAsyncEnumerator<ChatResponseUpdate>? _inner;

        // What arrived, for when no usage does. The last few pieces are only held, since usage usually arrives at the
        // end and makes counting them needless; older ones are counted when the estimator is additive, else copied.
        private bool _additive;
        private int _additiveTokens;
        private StringBuilder? _text;
        private HeldPieces _held;
        private int _heldCount;
        private UsageDetails? _usage;
        private string? _modelId;
        private bool _produced;

        private enum State
        {
            NotStarted,
            Streaming,
            Ended,
        }

        public ChatResponseUpdate Current { get; private set; } = null!;

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            // Each enumeration is a call of its own.
            BudgetedStream stream = !_enumerated && _threadId == Environment.CurrentManagedThreadId
                ? this
                : new BudgetedStream(client, messages, options, callToken);
            stream._enumerated = true;
            stream.UseToken(cancellationToken);
            return stream;
        }

        public ValueTask<bool> MoveNextAsync()
        {
            if (_state != State.Streaming)
            {
                return _state == State.NotStarted ? StartAsync() : NoMore;
            }

            ValueTask<bool> next;
            try
            {
                next = _inner!.MoveNextAsync();
            }
            catch (Exception ex)
            {
                return FailAsync(ex);
            }

            if (!next.IsCompletedSuccessfully)
            {
                return MoveNextSlowAsync(next);
            }

            if (!next.Result)
            {
                return EndAsync();
            }

            Take(_inner.Current);
            return More;
        }

        public ValueTask DisposeAsync()
        {
            if (_state == State.Streaming)
            {
                // The caller stopped early: charge what arrived.
                return StopEarlyAsync();
            }

            _state = State.Ended;
            _linked?.Dispose();
            return default;
        }

        private async ValueTask StopEarlyAsync()
        {
            try
            {
                await FinishAsync(UsageMissingReason.StoppedEarly, failed: false).ConfigureAwait(false);
            }
            finally
            {
                _state = State.Ended;
                _linked?.Dispose();
            }
        }

        private void UseToken(CancellationToken enumeratorToken)
        {
            if (!enumeratorToken.CanBeCanceled || enumeratorToken == callToken)
            {
                _token = callToken;
            }
            else if (!callToken.CanBeCanceled)
            {
                _token = enumeratorToken;
            }
            else
            {
                _linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, enumeratorToken);
                _token = _linked.Token;
            }
        }

        // Each step below completes without a state machine when what it waits for is already done, and otherwise
        // continues in an async method of the same name ending in Slow.
        private ValueTask<bool> StartAsync()
        {
            // Ended until admitted: a call that failed to start is over, as an async iterator's would be.
            _state = State.Ended;
            ValueTask<Admission> admitting;
            try
            {
                ArgumentNullException.ThrowIfNull(messages);
                admitting = client.AdmitAsync(messages, options, _token);
            }
            catch (Exception ex)
            {
                return ValueTask.FromException<bool>(ex);
            }

            return admitting.IsCompletedSuccessfully ? Begin(admitting.Result) : StartSlowAsync(admitting);
        }

        private async ValueTask<bool> StartSlowAsync(ValueTask<Admission> admitting) =>
            await Begin(await admitting.ConfigureAwait(false)).ConfigureAwait(false);

        private ValueTask<bool> Begin(Admission admission)
        {
            try
            {
                _inner = client.GetInnerStream(messages, admission.Options, _token);
            }
            catch (Exception ex)
            {
                return ReleaseAndThrowAsync(admission, ExceptionDispatchInfo.Capture(ex));
            }

            _admission = admission;
            _additive = client._estimator.IsAdditive;
            _state = State.Streaming;
            return MoveNextAsync();
        }

        private async ValueTask<bool> ReleaseAndThrowAsync(Admission admission, ExceptionDispatchInfo failure)
        {
            await client.ReleaseAsync(admission).ConfigureAwait(false);
            failure.Throw();
            return false;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<bool> MoveNextSlowAsync(ValueTask<bool> next)
        {
            bool more;
            try
            {
                more = await next.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return await FailAsync(ex).ConfigureAwait(false);
            }

            if (!more)
            {
                return await EndAsync().ConfigureAwait(false);
            }

            Take(_inner!.Current);
            return true;
        }

        private ValueTask<bool> EndAsync()
        {
            ValueTask finishing = FinishAsync(UsageMissingReason.NotReported, failed: false);
            if (!finishing.IsCompletedSuccessfully)
            {
                return EndSlowAsync(finishing);
            }

            finishing.GetAwaiter().GetResult();
            return NoMore;
        }

        private static async ValueTask<bool> EndSlowAsync(ValueTask finishing)
        {
            await finishing.ConfigureAwait(false);
            return false;
        }

        private async ValueTask<bool> FailAsync(Exception exception)
        {
            var failure = ExceptionDispatchInfo.Capture(exception);
            await FinishAsync(UsageMissingReason.StreamFailed, failed: true).ConfigureAwait(false);
            failure.Throw();
            return false;
        }

        // The stream is over: the provider's enumerator is disposed, then (even when that fails) the reservation settled,
        // or released when the provider failed before sending anything (nothing was generated).
        private ValueTask FinishAsync(UsageMissingReason reason, bool failed)
        {
            _state = State.Ended;
            ValueTask disposing;
            try
            {
                disposing = _inner!.DisposeAsync();
            }
            catch (Exception ex)
            {
                return FinishSlowAsync(ValueTask.FromException(ex), reason, failed);
            }

            if (!disposing.IsCompletedSuccessfully)
            {
                return FinishSlowAsync(disposing, reason, failed);
            }

            disposing.GetAwaiter().GetResult();
            return SettleOrRelease(reason, failed);
        }

        private async ValueTask FinishSlowAsync(ValueTask disposing, UsageMissingReason reason, bool failed)
        {
            try
            {
                await disposing.ConfigureAwait(false);
            }
            finally
            {
                await SettleOrRelease(reason, failed).ConfigureAwait(false);
            }
        }

        private ValueTask SettleOrRelease(UsageMissingReason reason, bool failed)
        {
            Admission admission = _admission!;
            if (_usage is null && failed && !_produced)
            {
                return client.ReleaseAsync(admission);
            }

            int receivedTokens = 0;
            if (!_usage.HasTokenCounts())
            {
                TakeHeldPieces();
                receivedTokens = _additive ? _additiveTokens : client.CountTokens(_text?.ToString(), _modelId ?? admission.ModelId);
            }

            return client.SettleAsync(admission, _usage, _modelId, receivedTokens, reason);
        }

        private void Hold(string piece)
        {
            if (_heldCount == HeldPieces.Length)
            {
                TakeHeldPieces();
            }

            _held[_heldCount++] = piece;
        }

        // Counts the pieces held, or adds them to the text.
        private void TakeHeldPieces()
        {
            for (int i = 0; i < _heldCount; i++)
            {
                string piece = _held[i]!;
                _held[i] = null;
                if (_additive)
                {
                    _additiveTokens += client._estimator.CountTokens(piece, _admission!.ModelId);
                }
                else
                {
                    (_text ??= new StringBuilder()).Append(piece);
                }
            }

            _heldCount = 0;
        }

        private void Take(ChatResponseUpdate update)
        {
            _produced = true;
            _modelId ??= update.ModelId;
            IList<AIContent> contents = update.Contents;
            if (contents is List<AIContent> list)
            {
                // Updates usually carry the list they were made with: read without an interface call per item.
                foreach (AIContent content in CollectionsMarshal.AsSpan(list))
                {
                    Take(content);
                }
            }
            else
            {
                for (int i = 0; i < contents.Count; i++)
                {
                    Take(contents[i]);
                }
            }

            Current = update;
        }

        private void Take(AIContent content)
        {
            string? piece = null;
            switch (content)
            {
                case TextContent { Text: { Length: > 0 } t }:
                    piece = t;
                    break;
                case UsageContent { Details: { } details }:
                    _usage = _usage is null ? details : Sum(_usage, details);
                    break;
                case TextReasoningContent { Text: { Length: > 0 } r }:
                    piece = r;
                    break;
            }

            if (piece is not null)
            {
                Hold(piece);
            }
        }

        [InlineArray(Length)]
        private struct HeldPieces
        {
            public const int Length = 4;

            private string? _first;
        }
    }
}
