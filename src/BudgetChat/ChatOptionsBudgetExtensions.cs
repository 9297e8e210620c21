using System.Globalization;
using System.Text.Json;
using BudgetChat;

namespace Microsoft.Extensions.AI;

/// <summary>Sets and reads the user a call is charged to.</summary>
public static class ChatOptionsBudgetExtensions
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key under which <see cref="WithBudgetUser"/> stores the user id.</summary>
    public const string UserIdKey = "budgetchat.user";

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key also read for the user id: the one Semantic Kernel's
    /// <c>OpenAIPromptExecutionSettings.User</c> produces.
    /// </summary>
    public const string CompatibleUserIdKey = "user";

    /// <summary>Sets the user whose budget a call is charged to.</summary>
    /// <param name="options">The options to change.</param>
    /// <param name="userId">The user id.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithBudgetUser(this ChatOptions options, string userId)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        (options.AdditionalProperties ??= [])[UserIdKey] = userId;
        return options;
    }

    /// <summary>Gets the user a call is charged to, from <see cref="UserIdKey"/> or else <see cref="CompatibleUserIdKey"/>.</summary>
    /// <param name="options">The options, or <see langword="null"/>.</param>
    /// <returns>The user id, or <see langword="null"/> when the options carry none (no entry, or an entry whose value is <see langword="null"/>).</returns>
    /// <remarks>
    /// A value that is not a string is read by its invariant string form when it is a <see cref="Guid"/> or an integer
    /// (or a JSON string or integer, as options read from JSON carry them), so <c>Guid.NewGuid()</c> and <c>42</c> are
    /// users like <c>"…"</c> and <c>"42"</c>; anything else is refused rather than ignored, because ignoring it would
    /// charge the call to no user and bypass the user's limit.
    /// </remarks>
    /// <exception cref="ArgumentException">The entry holds an empty or blank string, or a value that cannot name a user (a fraction, a boolean, an object).</exception>
    public static string? GetBudgetUser(this ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } properties)
        {
            return null;
        }

        string key = UserIdKey;
        if (!properties.TryGetValue(key, out object? value) || value is null)
        {
            key = CompatibleUserIdKey;
            if (!properties.TryGetValue(key, out value) || value is null)
            {
                return null;
            }
        }

        return ReadUser(value) ?? throw new ArgumentException(
            $"ChatOptions.AdditionalProperties[\"{key}\"] holds {Describe(value)}, which does not name a budget user. Set a non-empty string (or a Guid or an integer) with ChatOptions.WithBudgetUser(userId).",
            nameof(options));
    }

    private static string? ReadUser(object value)
    {
        string? id = value switch
        {
            string text => text,
            Guid guid => guid.ToString(),
            int or long or short or sbyte or uint or ulong or ushort or byte or Int128 or UInt128 => ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture),
            JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
            JsonElement { ValueKind: JsonValueKind.Number } json when IsInteger(json.GetRawText()) => json.GetRawText(),
            _ => null,
        };

        return string.IsNullOrWhiteSpace(id) ? null : id;
    }

    private static bool IsInteger(string number) =>
        number.Length > 0 && number.AsSpan(number[0] == '-' ? 1 : 0).IndexOfAnyExceptInRange('0', '9') < 0;

    private static string Describe(object value) => value switch
    {
        string { Length: 0 } => "an empty string",
        string => "a blank string",
        JsonElement json => $"a JSON {json.ValueKind.ToString().ToLowerInvariant()} ({json.GetRawText()})",
        _ => $"a value of type {value.GetType().Name}",
    };
}
