namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A read-only, forward-only view of at most <c>length</c> bytes of another stream, starting at its
/// current position. Used to serve ranged reads without copying: the inner stream is positioned at
/// the range start and this wrapper stops at the range end.
/// </summary>
public sealed class BoundedReadStream : ForwardWrapperStream
{
    private long _remaining;

    public BoundedReadStream(Stream inner, long length, bool leaveOpen = false)
        : base(inner, leaveOpen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _remaining = length;
    }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }

        var read = Inner.Read(buffer[..Limit(buffer.Length)]);
        _remaining -= read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }

        var read = await Inner.ReadAsync(buffer[..Limit(buffer.Length)], cancellationToken).ConfigureAwait(false);
        _remaining -= read;
        return read;
    }

    private int Limit(int requested) => (int)Math.Min(requested, _remaining);
}
