namespace BudgetChat.SemanticKernel;

/// <summary>A stream whose every step runs inside a budget user scope, so work it starts lazily sees the user.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal sealed class ScopedAsyncEnumerable<T>(IAsyncEnumerable<T> source, KernelBudgetUserAccessor accessor, string? userId) : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        using (accessor.BeginScopeCore(userId))
        {
            return new Enumerator(source.GetAsyncEnumerator(cancellationToken), accessor, userId);
        }
    }

    private sealed class Enumerator(IAsyncEnumerator<T> inner, KernelBudgetUserAccessor accessor, string? userId) : IAsyncEnumerator<T>
    {
        public T Current => inner.Current;

        public async ValueTask<bool> MoveNextAsync()
        {
            using (accessor.BeginScopeCore(userId))
            {
                return await inner.MoveNextAsync().ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            using (accessor.BeginScopeCore(userId))
            {
                await inner.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
