using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>
/// Counts the input of a chat request from the tokens of its parts: message text, function calls and results,
/// instructions and tool schemas, plus the per-message framing OpenAI's chat format adds.
/// </summary>
/// <remarks>
/// The estimators supply the text counts (<see cref="ITokenEstimator.CountTokens"/>). This type is thread-safe when
/// the estimator is.
/// </remarks>
internal static class InputTokens
{
    /// <summary>Tokens of framing per message (separators around the role) in OpenAI's chat format; the role's own tokens are counted too.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens that prime the assistant's reply at the end of every request.</summary>
    public const int TokensPerReply = 3;

    /// <summary>Counts a request's input with <paramref name="estimator"/>'s text counts (<see cref="ITokenEstimator.CountInputTokens"/>).</summary>
    public static int Count(ITokenEstimator estimator, int tokensPerImage, IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(messages);
        int total = TokensPerReply;
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            total += TokensPerMessage + estimator.CountTokens(ChatRole.System.Value, modelId) + estimator.CountTokens(options.Instructions, modelId);
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (AITool tool in tools)
            {
                total += estimator.CountTokens(tool.Name, modelId) + estimator.CountTokens(tool.Description, modelId);
                if (tool is AIFunctionDeclaration function)
                {
                    total += estimator.CountTokens(function.JsonSchema.GetRawText(), modelId);
                }
            }
        }

        if (messages is IList<ChatMessage> list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                total += CountMessage(estimator, tokensPerImage, list[i], modelId);
            }
        }
        else
        {
            foreach (ChatMessage message in messages)
            {
                total += CountMessage(estimator, tokensPerImage, message, modelId);
            }
        }

        return total;
    }

    private static int CountMessage(ITokenEstimator estimator, int tokensPerImage, ChatMessage message, string? modelId)
    {
        int total = TokensPerMessage + estimator.CountTokens(message.Role.Value, modelId);
        if (message.AuthorName is { Length: > 0 } name)
        {
            total += 1 + estimator.CountTokens(name, modelId);
        }

        // Index loops where there is a list: an enumerator through the interface is an object per loop.
        IList<AIContent> contents = message.Contents;
        for (int i = 0; i < contents.Count; i++)
        {
            total += CountContent(estimator, tokensPerImage, contents[i], modelId);
        }

        return total;
    }

    private static int CountContent(ITokenEstimator estimator, int tokensPerImage, AIContent content, string? modelId) => content switch
    {
        TextContent text => estimator.CountTokens(text.Text, modelId),
        TextReasoningContent reasoning => estimator.CountTokens(reasoning.Text, modelId),
        FunctionCallContent call => estimator.CountTokens(call.Name, modelId) + estimator.CountTokens(call.CallId, modelId)
            + (call.Arguments is { Count: > 0 } args ? estimator.CountTokens(JsonSerializer.Serialize(args, AIJsonUtilities.DefaultOptions), modelId) : 0),
        FunctionResultContent result => estimator.CountTokens(result.CallId, modelId) + CountResult(estimator, result.Result, modelId),
        DataContent or UriContent or HostedFileContent => tokensPerImage,
        _ => 0,
    };

    private static int CountResult(ITokenEstimator estimator, object? result, string? modelId) => result switch
    {
        null => 0,
        string s => estimator.CountTokens(s, modelId),
        _ => estimator.CountTokens(JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))), modelId),
    };
}
