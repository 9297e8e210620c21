using Microsoft.AspNetCore.Http;

namespace BudgetChat.Server.Http;

/// <summary>The validation errors of one request, keyed by the field at fault. Not thread-safe.</summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool HasErrors => _errors.Count > 0;

    /// <summary>Gets how many messages were added.</summary>
    public int Count { get; private set; }

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out List<string>? messages))
        {
            messages = [];
            _errors.Add(field, messages);
        }

        messages.Add(message);
        Count++;
    }

    /// <summary>Answers 400 with a <see cref="HttpValidationProblemDetails"/> whose detail repeats every message.</summary>
    public IResult ToResult() => Problems.Validation(_errors.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
}
