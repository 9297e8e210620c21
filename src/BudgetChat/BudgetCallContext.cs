using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>What a resolver of <see cref="BudgetingChatClientOptions"/> sees of a call.</summary>
/// <param name="Messages">The messages of the call.</param>
/// <param name="Options">The caller's options, or <see langword="null"/>. Do not change them.</param>
/// <param name="UserId">The user the call is charged to, when known.</param>
public sealed record BudgetCallContext(IEnumerable<ChatMessage> Messages, ChatOptions? Options, string? UserId);
