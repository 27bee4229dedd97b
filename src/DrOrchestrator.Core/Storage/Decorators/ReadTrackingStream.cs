namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// Wraps a non-seekable put stream to learn whether an attempt consumed any of it: an unread
/// stream can be handed to a retry, a partly read one cannot.
/// </summary>
internal sealed class ReadTrackingStream(Stream inner) : ForwardReadStream
{
    public bool HasBeenRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        HasBeenRead |= read > 0;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        HasBeenRead |= read > 0;
        return read;
    }
}
