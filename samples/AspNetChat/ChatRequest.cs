namespace BudgetChat.Samples.AspNetChat;

/// <summary>The body of <c>POST /chat</c>.</summary>
/// <param name="Message">What the user says.</param>
public sealed record ChatRequest(string? Message);
