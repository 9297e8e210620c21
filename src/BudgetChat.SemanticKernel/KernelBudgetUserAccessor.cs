namespace BudgetChat.SemanticKernel;

/// <summary>
/// The ambient budget user: the user the budgeted chat calls in the current asynchronous flow are charged to when
/// their <c>ChatOptions</c> name none.
/// </summary>
/// <remarks>
/// <para>
/// The function invocation filter opens a scope around each top-level kernel function
/// invocation; <c>AddBudgetChatForKernel</c> makes <see cref="BudgetingChatClientOptions.UserIdResolver"/> read
/// <see cref="UserId"/>. Users open a scope with <c>Kernel.BeginBudgetUserScope</c> for calls that do not go through a
/// kernel function, for example an agent or a chat completion service called directly.
/// </para>
/// <para>
/// The outermost scope wins: while a scope is open, a nested one (a kernel function a tool call invokes, say)
/// does not change the user, so a model cannot move a conversation's spend to another user through a tool
/// argument. The value flows with the <see cref="ExecutionContext"/> like <see cref="AsyncLocal{T}"/>.
/// This type is thread-safe.
/// </para>
/// </remarks>
internal sealed class KernelBudgetUserAccessor
{
    private readonly AsyncLocal<Scope?> _current = new();

    /// <summary>Gets the user of the current scope, or <see langword="null"/> when there is none.</summary>
    public string? UserId => _current.Value?.UserId;

    /// <summary>Gets a value indicating whether a scope is open in the current asynchronous flow, with or without a user.</summary>
    internal bool HasScope => _current.Value is not null;

    /// <summary>Makes <paramref name="userId"/> the budget user of the current asynchronous flow until the result is disposed.</summary>
    /// <param name="userId">The user id.</param>
    /// <returns>Ends the scope when disposed. When a scope is open already it changes nothing and neither does disposing it.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty.</exception>
    public IDisposable BeginScope(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return BeginScopeCore(userId);
    }

    /// <summary>Opens a scope whose user may be unknown, so that nested invocations cannot set one.</summary>
    /// <param name="userId">The user id, or <see langword="null"/>.</param>
    /// <returns>Ends the scope when disposed; a no-op when a scope is open already.</returns>
    internal IDisposable BeginScopeCore(string? userId)
    {
        if (_current.Value is not null)
        {
            return NoScope.Instance;
        }

        var scope = new Scope(this, userId);
        _current.Value = scope;
        return scope;
    }

    private sealed class Scope(KernelBudgetUserAccessor owner, string? userId) : IDisposable
    {
        public string? UserId { get; } = userId;

        public void Dispose()
        {
            // Only the flow that opened the scope ends it; a copy of the context elsewhere keeps its value.
            if (ReferenceEquals(owner._current.Value, this))
            {
                owner._current.Value = null;
            }
        }
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}
