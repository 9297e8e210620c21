namespace BudgetChat.Samples.AspNetChat;

/// <summary>The answer of <c>POST /chat</c>.</summary>
/// <param name="Answer">The model's answer.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="InputTokens">The input tokens the call was billed for.</param>
/// <param name="OutputTokens">The output tokens the call was billed for.</param>
public sealed record ChatReply(string Answer, string? Model, long? InputTokens, long? OutputTokens);
