using Microsoft.Extensions.AI;
using OpenAIChatClient = OpenAI.Chat.ChatClient;

namespace BudgetChat.Samples;

/// <summary>The model every sample talks to: OpenAI when <c>OPENAI_API_KEY</c> is set, otherwise the offline demo model.</summary>
public static class SampleChatClient
{
    /// <summary>Gets a value indicating whether the samples call OpenAI (an API key is set).</summary>
    public static bool UsesOpenAI => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OPENAI_API_KEY"));

    /// <summary>Gets a line saying which model the samples use.</summary>
    public static string Description => UsesOpenAI
        ? "Model: OpenAI, through Microsoft.Extensions.AI.OpenAI"
        : $"Model: {OfflineChatClient.Label} (set OPENAI_API_KEY to call OpenAI instead)";

    /// <summary>Creates the chat client for a model.</summary>
    /// <param name="modelId">The model, for example <c>gpt-4o-mini</c>.</param>
    /// <returns>An OpenAI chat client, or the offline demo model pretending to be <paramref name="modelId"/>.</returns>
    public static IChatClient Create(string modelId) => UsesOpenAI
        ? new OpenAIChatClient(modelId, Environment.GetEnvironmentVariable("OPENAI_API_KEY")).AsIChatClient()
        : new OfflineChatClient(modelId);
}
