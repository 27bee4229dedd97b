namespace DrOrchestrator.Testing;

/// <summary>
/// A forward-only stream, like a network body or a pipe (a dump tool's stdout): no length, no
/// seeking. Optionally fails with an <see cref="IOException"/> once <c>failAfter</c> bytes were
/// read, like a tool that dies mid-stream.
/// </summary>
public sealed class UnseekableStream(byte[] content, int failAfter = -1) : Stream
{
    private readonly MemoryStream _inner = new(content, writable: false);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (failAfter >= 0 && _inner.Position >= failAfter)
        {
            throw new IOException("the dump tool died");
        }

        return _inner.Read(buffer, offset, count);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
