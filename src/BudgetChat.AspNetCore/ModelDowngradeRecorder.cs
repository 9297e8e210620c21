using System.Text;
using Microsoft.AspNetCore.Http;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Collects the model downgrades of the calls made while a request is handled, and writes them into the response's
/// downgrade header (<see cref="BudgetChatAspNetCoreOptions.ModelDowngradeHeaderName"/>) when the response starts.
/// </summary>
/// <remarks>
/// The request is the one of the caller's execution context (<see cref="IHttpContextAccessor"/>): the budgeted client
/// reports a downgrade inside the call. Its downgrades live in a feature of that request. This type is thread-safe: the
/// calls of one request may run in parallel.
/// </remarks>
internal sealed class ModelDowngradeRecorder
{
    // Distinct downgrades one header names; a tool loop repeats the same one, and a header has to stay small.
    internal const int MaxReported = 16;

    private static readonly Func<object, Task> WriteHeaderCallback = static state =>
    {
        ((Downgrades)state).WriteHeader();
        return Task.CompletedTask;
    };

    private readonly IHttpContextAccessor _httpContextAccessor;

    // Guards finding or adding a request's downgrades: its features are not thread-safe. Taken only on a downgrade.
    private readonly Lock _gate = new();

    public ModelDowngradeRecorder(IHttpContextAccessor httpContextAccessor)
    {
        _httpContextAccessor = httpContextAccessor;
    }

    /// <summary>Records a downgrade for the current request's response, if there is a request and its response has not started.</summary>
    public void Record(BudgetModelDowngrade downgrade, string headerName)
    {
        if (_httpContextAccessor.HttpContext is not { } context)
        {
            // Not in a request (a background job sharing the client): there is no response to tell.
            return;
        }

        Downgrades? downgrades;
        lock (_gate)
        {
            downgrades = context.Features.Get<Downgrades>();
            if (downgrades is null)
            {
                // A response already under way (a stream) can take no more headers.
                if (context.Response.HasStarted)
                {
                    return;
                }

                downgrades = new Downgrades(context.Response, headerName);
                try
                {
                    context.Response.OnStarting(WriteHeaderCallback, downgrades);
                }
                catch (InvalidOperationException)
                {
                    // Another call of the request started the response in between.
                    return;
                }

                context.Features.Set(downgrades);
            }
        }

        downgrades.Add(downgrade);
    }

    /// <summary>The downgrades of one request, in the order they happened, each once.</summary>
    private sealed class Downgrades(HttpResponse response, string headerName)
    {
        private readonly Lock _lock = new();
        private readonly List<BudgetModelDowngrade> _list = [];

        public void Add(BudgetModelDowngrade downgrade)
        {
            lock (_lock)
            {
                if (_list.Count < MaxReported && !_list.Contains(downgrade))
                {
                    _list.Add(downgrade);
                }
            }
        }

        // A Structured Field List: "from";to="to";reason=refused;budget="user:alice";window="daily", ...
        public void WriteHeader()
        {
            var value = new StringBuilder();
            lock (_lock)
            {
                foreach (BudgetModelDowngrade downgrade in _list)
                {
                    if (value.Length > 0)
                    {
                        value.Append(", ");
                    }

                    value.AppendString(downgrade.FromModel)
                        .AppendParameter("to").AppendString(downgrade.ToModel)
                        .AppendParameter("reason").AppendTokenOrString(downgrade.Reason);
                    if (downgrade.Key is { } key)
                    {
                        value.AppendParameter("budget").AppendString(key);
                    }

                    if (downgrade.Window is { } window)
                    {
                        value.AppendParameter("window").AppendString(window);
                    }
                }
            }

            response.Headers[headerName] = value.ToString();
        }
    }
}
