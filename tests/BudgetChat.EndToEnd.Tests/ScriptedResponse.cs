using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace BudgetChat.EndToEnd.Tests;

/// <summary>
/// One answer of <see cref="FakeOpenAIServer"/>, in OpenAI's chat completions wire format: a <c>chat.completion</c>
/// JSON object, or, when the request says <c>"stream": true</c>, <c>chat.completion.chunk</c> objects as server-sent
/// events (<c>data: {...}</c>), the usage chunk with empty <c>choices</c> last, then <c>data: [DONE]</c>.
/// </summary>
public sealed class ScriptedResponse
{
    private const long Created = 1_767_225_600;

    private readonly Func<HttpContext, RecordedRequest, Task> _write;

    private ScriptedResponse(Func<HttpContext, RecordedRequest, Task> write) => _write = write;

    internal Task WriteAsync(HttpContext context, RecordedRequest request) => _write(context, request);

    /// <summary>Answers with text, in pieces when streaming, and reports <paramref name="usage"/> (nothing when null).</summary>
    /// <remarks>The answer names the requested model, or <paramref name="respondingModel"/> (real providers name a dated snapshot).</remarks>
    public static ScriptedResponse Answer(IReadOnlyList<string> chunks, FakeUsage? usage, string? respondingModel = null) => new(async (context, received) =>
    {
        Reply reply = Reply.To(received, respondingModel);
        if (!received.IsStreaming)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = string.Concat(chunks), ["refusal"] = null };
            await WriteCompletionAsync(context, reply, message, "stop", usage);
            return;
        }

        await StartStreamAsync(context);
        await WriteChunkAsync(context, reply, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
        foreach (string chunk in chunks)
        {
            await WriteChunkAsync(context, reply, new JsonObject { ["content"] = chunk }, null);
        }

        await EndStreamAsync(context, reply, "stop", usage);
    });

    /// <summary>Asks for one function call (arguments split over two chunks when streaming), and reports <paramref name="usage"/>.</summary>
    public static ScriptedResponse ToolCall(string callId, string functionName, string argumentsJson, FakeUsage? usage) => new(async (context, received) =>
    {
        Reply reply = Reply.To(received);
        if (!received.IsStreaming)
        {
            var message = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = callId,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = functionName, ["arguments"] = argumentsJson },
                }),
            };
            await WriteCompletionAsync(context, reply, message, "tool_calls", usage);
            return;
        }

        int half = argumentsJson.Length / 2;
        await StartStreamAsync(context);
        await WriteChunkAsync(context, reply, new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = null,
            ["tool_calls"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["id"] = callId,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = functionName, ["arguments"] = "" },
            }),
        }, null);
        foreach (string piece in new[] { argumentsJson[..half], argumentsJson[half..] })
        {
            await WriteChunkAsync(context, reply, new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = piece } }),
            }, null);
        }

        await EndStreamAsync(context, reply, "tool_calls", usage);
    });

    /// <summary>
    /// Streams <paramref name="chunks"/>, then waits for <paramref name="cut"/> and aborts the connection: no finish
    /// reason, no usage, no <c>[DONE]</c>. With no chunks the response headers are sent and the connection aborted
    /// before any event. A non-streaming reply gets the headers and half its JSON body, then the abort.
    /// </summary>
    public static ScriptedResponse CutAfter(IReadOnlyList<string> chunks, Task cut) => new(async (context, received) =>
    {
        Reply reply = Reply.To(received);
        if (!received.IsStreaming)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = string.Concat(chunks) };
            string json = Completion(reply, message, "stop", null).ToJsonString();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json[..(json.Length / 2)]);
            await context.Response.Body.FlushAsync();
        }
        else
        {
            await StartStreamAsync(context);
            if (chunks.Count > 0)
            {
                await WriteChunkAsync(context, reply, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
                foreach (string chunk in chunks)
                {
                    await WriteChunkAsync(context, reply, new JsonObject { ["content"] = chunk }, null);
                }
            }
        }

        // A safety net only: the test completes the signal as soon as it has read what came before the cut.
        await cut.WaitAsync(TimeSpan.FromMinutes(2));
        context.Abort();
    });

    /// <summary>Fails with an HTTP status and OpenAI's error object.</summary>
    public static ScriptedResponse Error(int statusCode, string type, string code, string message) => new(async (context, reply) =>
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
        };
        await context.Response.WriteAsync(error.ToJsonString());
    });

    private static JsonObject Completion(Reply reply, JsonObject message, string finishReason, FakeUsage? usage)
    {
        var completion = new JsonObject
        {
            ["id"] = "chatcmpl-e2e",
            ["object"] = "chat.completion",
            ["created"] = Created,
            ["model"] = reply.Model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = finishReason,
            }),
            ["system_fingerprint"] = "fp_e2e",
        };
        if (usage is not null)
        {
            completion["usage"] = usage.ToJson();
        }

        return completion;
    }

    private static async Task WriteCompletionAsync(HttpContext context, Reply reply, JsonObject message, string finishReason, FakeUsage? usage)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Completion(reply, message, finishReason, usage).ToJsonString());
    }

    private static async Task StartStreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync();
        await context.Response.Body.FlushAsync();
    }

    private static async Task EndStreamAsync(HttpContext context, Reply reply, string finishReason, FakeUsage? usage)
    {
        await WriteChunkAsync(context, reply, new JsonObject(), finishReason);
        if (usage is not null)
        {
            // As OpenAI does with stream_options.include_usage: one more chunk, choices empty, usage set.
            await WriteEventAsync(context, Chunk(reply, new JsonArray(), usage.ToJson()).ToJsonString());
        }

        await WriteEventAsync(context, "[DONE]");
    }

    private static Task WriteChunkAsync(HttpContext context, Reply reply, JsonObject delta, string? finishReason)
    {
        var choice = new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason };
        return WriteEventAsync(context, Chunk(reply, new JsonArray(choice), null).ToJsonString());
    }

    private static JsonObject Chunk(Reply reply, JsonArray choices, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-e2e",
            ["object"] = "chat.completion.chunk",
            ["created"] = Created,
            ["model"] = reply.Model,
            ["system_fingerprint"] = "fp_e2e",
            ["choices"] = choices,
        };

        // With include_usage every chunk carries "usage": null except the last, which carries the totals.
        if (usage is not null || reply.IncludeUsage)
        {
            chunk["usage"] = usage;
        }

        return chunk;
    }

    private static async Task WriteEventAsync(HttpContext context, string data)
    {
        await context.Response.WriteAsync($"data: {data}\n\n");
        await context.Response.Body.FlushAsync();
    }

    /// <summary>What an answer depends on: the model it names and whether the reply asked for usage in the stream.</summary>
    private sealed record Reply(string Model, bool IncludeUsage)
    {
        public static Reply To(RecordedRequest request, string? model = null) =>
            new(model ?? request.Model, request.Json["stream_options"]?["include_usage"]?.GetValue<bool>() == true);
    }
}
