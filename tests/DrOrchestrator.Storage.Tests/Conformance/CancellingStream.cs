using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.Tests.Conformance;

/// <summary>
/// Pattern content that cancels <paramref name="source"/> once <paramref name="cancelAfter"/> bytes
/// were read and then behaves like a cancelled source (reads throw), as a chunker reading a file
/// would when the run is cancelled mid-upload.
/// </summary>
public sealed class CancellingStream(long length, ulong seed, long cancelAfter, CancellationTokenSource source) : ForwardReadStream
{
    private readonly PatternStream _inner = new(length, seed, seekable: false);
    private long _read;

    public override int Read(Span<byte> buffer)
    {
        if (_read >= cancelAfter)
        {
            source.Cancel();
            source.Token.ThrowIfCancellationRequested();
        }

        var read = _inner.Read(buffer[..(int)Math.Min(buffer.Length, Math.Max(1, cancelAfter - _read))]);
        _read += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));
}
