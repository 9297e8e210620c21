using System.Globalization;

namespace BudgetChat;

/// <summary>
/// The reservation ids <see cref="BudgetingChatClient"/> makes: 16 hex digits naming the client, a hyphen, and 16 hex
/// digits that count the client's calls up. Stores treat them as any other string. This type is thread-safe.
/// </summary>
internal static class ReservationIds
{
    /// <summary>Writes the id of a client's call.</summary>
    /// <param name="source">The number naming the client.</param>
    /// <param name="sequence">The call's number, counting up.</param>
    public static string Create(ulong source, ulong sequence) => string.Create(CultureInfo.InvariantCulture, $"{source:x16}-{sequence:x16}");
}
