using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace BudgetChat.SemanticKernel.Tests;

/// <summary>What the tests share: a priced test model, a scripted fake LLM that records its calls, and kernel invocation in both modes.</summary>
internal static class KernelTestHost
{
    public const string ModelId = "test-model";
    public const string Project = BudgetingChatClientOptions.DefaultProjectName;

    // $1 per million input tokens, $10 per million output tokens.
    public const decimal InputPrice = 0.000001m;
    public const decimal OutputPrice = 0.00001m;

    public static ModelPriceCatalog Prices()
    {
        var prices = new ModelPriceCatalog();
        prices.SetPrice(ModelId, new ModelPrice(InputPrice, OutputPrice));
        return prices;
    }

    /// <summary>The cost of a round trip whose usage the fake reports.</summary>
    public static decimal Cost(int inputTokens, int outputTokens) => (inputTokens * InputPrice) + (outputTokens * OutputPrice);

    /// <summary>Registers the store and prices the tests look at, before BudgetChat registers its defaults.</summary>
    public static IKernelBuilder CreateBuilder(IBudgetStore store)
    {
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(Prices());
        return builder;
    }

    /// <summary>
    /// A fake LLM that calls the first offered tool once (when tools are offered and no result has come back yet),
    /// then answers; every round trip reports the given usage and is recorded.
    /// </summary>
    public static TestChatClient ToolCallingLlm(List<ChatOptions?> calls, UsageDetails usage, string answer = "done")
    {
        ChatResponse Respond(IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            calls.Add(options);
            bool hasResult = messages.Any(m => m.Contents.OfType<FunctionResultContent>().Any());
            ChatMessage reply = options?.Tools is [AIFunctionDeclaration tool, ..] && !hasResult
                ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", tool.Name, ToolArguments(tool))])
                : new ChatMessage(ChatRole.Assistant, answer);
            // A fresh UsageDetails per response: the function-invocation loop adds later round trips' usage into the first one's.
            return new ChatResponse(reply)
            {
                ModelId = ModelId,
                Usage = new UsageDetails { InputTokenCount = usage.InputTokenCount, OutputTokenCount = usage.OutputTokenCount, TotalTokenCount = usage.TotalTokenCount },
            };
        }

        return new TestChatClient
        {
            Metadata = new ChatClientMetadata("test", null, ModelId), // Semantic Kernel refuses a chat client without metadata
            GetResponseAsyncCallback = (messages, options, _) => Task.FromResult(Respond(messages, options)),
            GetStreamingResponseAsyncCallback = (messages, options, ct) => Stream(Respond(messages, options), ct),
        };
    }

    /// <summary>Runs a prompt through the kernel, streaming or not, and returns the text the caller got.</summary>
    public static async Task<string> InvokeAsync(Kernel kernel, KernelArguments arguments, bool streaming, string prompt = "What's the forecast?")
    {
        if (!streaming)
        {
            FunctionResult result = await kernel.InvokePromptAsync(prompt, arguments);
            return result.ToString();
        }

        var text = new StringBuilder();
        await foreach (StreamingKernelContent update in kernel.InvokePromptStreamingAsync(prompt, arguments))
        {
            text.Append(update);
        }

        return text.ToString();
    }

    public static async Task<BudgetState?> GetUserBudgetAsync(IBudgetStore store, string userId) =>
        await store.GetBudgetAsync(Project, BudgetKeys.ForUser(userId));

    private static Dictionary<string, object?> ToolArguments(AIFunctionDeclaration tool) =>
        tool.JsonSchema.TryGetProperty("properties", out var properties)
            ? properties.EnumerateObject().ToDictionary(p => p.Name, p => (object?)(p.Name == KernelBudgetOptions.DefaultUserArgumentName ? "mallory" : "Paris"))
            : [];

    private static async IAsyncEnumerable<ChatResponseUpdate> Stream(ChatResponse response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }
    }
}
