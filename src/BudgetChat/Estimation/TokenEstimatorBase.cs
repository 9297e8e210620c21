using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>
/// Counts the input of a chat request from the tokens of its parts: message text, function calls and results,
/// instructions and tool schemas, plus the per-message framing OpenAI's chat format adds.
/// </summary>
/// <remarks>Derived classes supply <see cref="CountTokens"/>. This type is thread-safe when <see cref="CountTokens"/> is.</remarks>
public abstract class TokenEstimatorBase : ITokenEstimator
{
    /// <summary>Tokens of framing per message (separators around the role) in OpenAI's chat format; the role's own tokens are counted too.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens that prime the assistant's reply at the end of every request.</summary>
    public const int TokensPerReply = 3;

    /// <summary>Initializes a new instance of the <see cref="TokenEstimatorBase"/> class.</summary>
    /// <param name="tokensPerImage">Tokens charged for each image or other binary input.</param>
    protected TokenEstimatorBase(int tokensPerImage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerImage);
        TokensPerImage = tokensPerImage;
    }

    /// <summary>Gets the tokens counted for each image or other binary input part.</summary>
    public int TokensPerImage { get; }

    /// <inheritdoc/>
    public abstract int CountTokens(string text, string? modelId);

    /// <inheritdoc/>
    public int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(messages);
        int total = TokensPerReply;
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            total += TokensPerMessage + CountTokens(ChatRole.System.Value, modelId) + CountTokens(options.Instructions, modelId);
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (AITool tool in tools)
            {
                total += CountTokens(tool.Name, modelId) + CountTokens(tool.Description, modelId);
                if (tool is AIFunctionDeclaration function)
                {
                    total += CountTokens(function.JsonSchema.GetRawText(), modelId);
                }
            }
        }

        if (messages is IList<ChatMessage> list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                total += CountMessage(list[i], modelId);
            }
        }
        else
        {
            foreach (ChatMessage message in messages)
            {
                total += CountMessage(message, modelId);
            }
        }

        return total;
    }

    private int CountMessage(ChatMessage message, string? modelId)
    {
        int total = TokensPerMessage + CountTokens(message.Role.Value, modelId);
        if (message.AuthorName is { Length: > 0 } name)
        {
            total += 1 + CountTokens(name, modelId);
        }

        // Index loops where there is a list: an enumerator through the interface is an object per loop.
        IList<AIContent> contents = message.Contents;
        for (int i = 0; i < contents.Count; i++)
        {
            total += CountContent(contents[i], modelId);
        }

        return total;
    }

    private int CountContent(AIContent content, string? modelId) => content switch
    {
        TextContent text => CountTokens(text.Text, modelId),
        TextReasoningContent reasoning => CountTokens(reasoning.Text, modelId),
        FunctionCallContent call => CountTokens(call.Name, modelId) + CountTokens(call.CallId, modelId)
            + (call.Arguments is { Count: > 0 } args ? CountTokens(JsonSerializer.Serialize(args, AIJsonUtilities.DefaultOptions), modelId) : 0),
        FunctionResultContent result => CountTokens(result.CallId, modelId) + CountResult(result.Result, modelId),
        DataContent or UriContent or HostedFileContent => TokensPerImage,
        _ => 0,
    };

    private int CountResult(object? result, string? modelId) => result switch
    {
        null => 0,
        string s => CountTokens(s, modelId),
        _ => CountTokens(JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))), modelId),
    };
}
