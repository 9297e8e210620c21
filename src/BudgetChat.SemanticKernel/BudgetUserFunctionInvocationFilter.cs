using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace BudgetChat.SemanticKernel;

/// <summary>
/// Makes the user named in a kernel function's <see cref="KernelArguments"/> (by default <c>budget_user</c>) the
/// ambient budget user of the invocation, so every budgeted chat call it makes, tool loop round trips included,
/// is charged to that user.
/// </summary>
/// <remarks>
/// <para>
/// Only the outermost invocation decides: functions invoked inside it (tool calls the model asked for, prompt
/// functions a native function calls) keep its user, whatever their arguments say. A user named in the call's
/// execution settings (<c>ExtensionData["budgetchat.user"]</c> or <c>["user"]</c>, or
/// <c>OpenAIPromptExecutionSettings.User</c>) reaches the chat client in its <c>ChatOptions</c> and wins over the
/// ambient user, which the chat client reads only through <see cref="BudgetingChatClientOptions.UserIdResolver"/>.
/// </para>
/// <para>
/// Streaming invocations return before the model is called, so the filter wraps the returned stream and opens
/// the scope again around each step of its enumeration. This type is thread-safe.
/// </para>
/// </remarks>
internal sealed partial class BudgetUserFunctionInvocationFilter : IFunctionInvocationFilter
{
    private static readonly MethodInfo WrapStreamMethod =
        typeof(BudgetUserFunctionInvocationFilter).GetMethod(nameof(WrapStream), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly KernelBudgetUserAccessor _accessor;
    private readonly KernelBudgetOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Type, Func<object, KernelBudgetUserAccessor, string?, object>?> _wrappers = new();

    /// <summary>Initializes a new instance of the <see cref="BudgetUserFunctionInvocationFilter"/> class.</summary>
    /// <param name="accessor">Holds the ambient user the budgeted chat client reads.</param>
    /// <param name="options">The options; read once, here.</param>
    /// <param name="loggerFactory">Creates the logger, or <see langword="null"/> for no logging.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public BudgetUserFunctionInvocationFilter(KernelBudgetUserAccessor accessor, IOptions<KernelBudgetOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(accessor);
        ArgumentNullException.ThrowIfNull(options);
        _accessor = accessor;
        _options = options.Value;
        _options.Validate();
        _logger = (ILogger?)loggerFactory?.CreateLogger<BudgetUserFunctionInvocationFilter>() ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">An argument named in <see cref="KernelBudgetOptions.UserArgumentNames"/> holds an empty or non-scalar value.</exception>
    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);

        if (_accessor.HasScope)
        {
            if (_logger.IsEnabled(LogLevel.Debug) && NamesUser(context.Arguments))
            {
                Log.NestedUserIgnored(_logger, context.Function.Name);
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        string? userId = FindUser(context.Arguments);
        using (_accessor.BeginScopeCore(userId))
        {
            await next(context).ConfigureAwait(false);
        }

        // A streaming invocation has only created its stream; the model is called while the caller enumerates it.
        if (context.IsStreaming && context.Result.GetValue<object>() is { } stream && GetWrapper(stream.GetType()) is { } wrap)
        {
            context.Result = new FunctionResult(context.Result, wrap(stream, _accessor, userId));
        }
    }

    private static ScopedAsyncEnumerable<T> WrapStream<T>(object stream, KernelBudgetUserAccessor accessor, string? userId) =>
        new ScopedAsyncEnumerable<T>((IAsyncEnumerable<T>)stream, accessor, userId);

    private static string Describe(object value) => value.GetType().Name;

    private Func<object, KernelBudgetUserAccessor, string?, object>? GetWrapper(Type streamType) =>
        _wrappers.GetOrAdd(streamType, static type =>
        {
            Type? enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)
                ? type
                : Array.Find(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>));
            return enumerable is null
                ? null
                : WrapStreamMethod.MakeGenericMethod(enumerable.GetGenericArguments()[0]).CreateDelegate<Func<object, KernelBudgetUserAccessor, string?, object>>();
        });

    private string? FindUser(KernelArguments arguments)
    {
        foreach (string name in _options.UserArgumentNames)
        {
            if (!arguments.TryGetValue(name, out object? value) || value is null)
            {
                continue;
            }

            string? userId = value switch
            {
                string text => text,
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => null,
            };

            return string.IsNullOrWhiteSpace(userId)
                ? throw new ArgumentException(
                    $"The kernel argument '{name}' must name the user the call is charged to, but it holds {(userId is null ? $"a {Describe(value)}" : "an empty string")}.", name)
                : userId;
        }

        return null;
    }

    private bool NamesUser(KernelArguments arguments)
    {
        foreach (string name in _options.UserArgumentNames)
        {
            if (arguments.TryGetValue(name, out object? value) && value is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Kernel function {FunctionName} names a budget user in its arguments inside an invocation that already set one; the outer invocation's user is kept.")]
        public static partial void NestedUserIgnored(ILogger logger, string functionName);
    }
}
