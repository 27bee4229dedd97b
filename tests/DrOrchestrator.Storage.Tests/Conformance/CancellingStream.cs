namespace DrOrchestrator.Storage.Tests.Conformance;

/// <summary>
/// Pattern content that cancels <paramref name="source"/> once <paramref name="cancelAfter"/> bytes
/// were read and then behaves like a cancelled source (reads throw), as a chunker reading a file
/// would when the run is cancelled mid-upload.
/// </summary>
public sealed class CancellingStream(long length, ulong seed, long cancelAfter, CancellationTokenSource source) : Stream
{
    private readonly PatternStream _inner = new(length, seed, seekable: false);
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

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

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
