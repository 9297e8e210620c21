using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>What the budgeting code asks of the <see cref="UsageDetails"/> a provider reports.</summary>
/// <remarks>This type is thread-safe.</remarks>
internal static class UsageDetailsExtensions
{
    /// <summary>Gets whether <paramref name="usage"/> counts input or output tokens, so that a call can be priced from it.</summary>
    public static bool HasTokenCounts([NotNullWhen(true)] this UsageDetails? usage) =>
        usage is { InputTokenCount: not null } or { OutputTokenCount: not null };
}
