using System.Buffers;

namespace BudgetChat;

/// <summary>
/// The text a stream has delivered, kept in a pooled buffer in case the provider reports no usage and the text must be
/// counted; streams that report usage (nearly all) then allocate nothing for it. Call <see cref="Return"/> once, at the end.
/// </summary>
internal struct ReceivedText
{
    private char[]? _buffer;
    private int _length;

    public readonly bool IsEmpty => _length == 0;

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
