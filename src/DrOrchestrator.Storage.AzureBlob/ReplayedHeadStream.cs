using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.AzureBlob;

/// <summary>
/// Yields bytes already read from a non-seekable stream (its "head"), then the rest of that stream.
/// Lets the store peek at the first block to choose single-shot vs staged upload without losing it.
/// </summary>
internal sealed class ReplayedHeadStream(ReadOnlyMemory<byte> head, Stream rest) : ForwardReadStream
{
    private ReadOnlyMemory<byte> _head = head;

    public override int Read(Span<byte> buffer)
    {
        if (_head.IsEmpty)
        {
            return rest.Read(buffer);
        }

        var count = Math.Min(buffer.Length, _head.Length);
        _head.Span[..count].CopyTo(buffer);
        _head = _head[count..];
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _head.IsEmpty ? rest.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(Read(buffer.Span));
}
