namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// An upload body that reports each read to <paramref name="progress"/> (with whether the body
/// has been read to its end) and each rewind to <paramref name="rewound"/>, and otherwise behaves
/// as its inner stream, seeking included (the S3 uploader and both SDKs rewind seekable bodies:
/// after computing a checksum or a payload hash, before sending it). Does not dispose the inner stream.
/// </summary>
internal sealed class ProgressStream(Stream inner, Action<bool> progress, Action rewound) : Stream
{
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set
        {
            var before = inner.Position;
            inner.Position = value;
            OnMoved(before);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        progress(AtEnd(read, buffer.Length));
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        progress(AtEnd(read, buffer.Length));
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var before = inner.Position;
        var position = inner.Seek(offset, origin);
        OnMoved(before);
        return position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>A move back starts a new pass over the body (a query such as Seek(0, Current) is none).</summary>
    private void OnMoved(long before)
    {
        if (inner.Position < before)
        {
            rewound();
        }
    }

    /// <summary>The body has been handed out whole: a read found its end, or a seekable body's position reached its length.</summary>
    private bool AtEnd(int read, int requested) =>
        (read == 0 && requested > 0) || (inner.CanSeek && inner.Position >= inner.Length);
}
