using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace BudgetChat;

/// <summary>
/// The output a call has delivered (text, reasoning, and the name and arguments of each function call), kept in a pooled buffer in case the provider reports no usage and the text must be
/// counted; streams that report usage (nearly all) then allocate nothing for it. Call <see cref="Return"/> once, at the end.
/// </summary>
internal struct ReceivedText
{
    // Compact, as providers write arguments (the default options indent).
    private static readonly JsonTypeInfo<IDictionary<string, object?>> ArgumentsType =
        (JsonTypeInfo<IDictionary<string, object?>>)new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { WriteIndented = false }
            .GetTypeInfo(typeof(IDictionary<string, object?>));

    private char[]? _buffer;
    private int _length;

    public readonly bool IsEmpty => _length == 0;

    /// <summary>Keeps what <paramref name="content"/> adds to the output: text, reasoning, a function call's name and arguments.</summary>
    public void Append(AIContent content)
    {
        switch (content)
        {
            case TextContent { Text.Length: > 0 } t:
                Append(t.Text);
                break;
            case TextReasoningContent { Text.Length: > 0 } r:
                Append(r.Text);
                break;
            case FunctionCallContent call:
                // The provider wrote the name and the arguments as JSON: they are output tokens like any text.
                Append(call.Name);
                if (call.Arguments is { Count: > 0 } arguments)
                {
                    Append(JsonSerializer.Serialize(arguments, ArgumentsType));
                }

                break;
        }
    }

    public void Append(string text)
    {
        if (_buffer is null || _buffer.Length - _length < text.Length)
        {
            char[] larger = ArrayPool<char>.Shared.Rent(Math.Max(256, (_length + text.Length) * 2));
            _buffer?.AsSpan(0, _length).CopyTo(larger);
            Return();
            _buffer = larger;
        }

        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
    }

    public override readonly string ToString() => _buffer is null ? string.Empty : new string(_buffer, 0, _length);

    public void Return()
    {
        if (_buffer is not null)
        {
            ArrayPool<char>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
