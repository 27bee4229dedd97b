namespace DrOrchestrator.Core.Storage.Http;

/// <summary>
/// A response body that fails with an <see cref="IOException"/> when no byte arrives for
/// <see cref="TransferTimeouts.Request"/>, or when the whole body takes longer than its
/// <see cref="TransferTimeouts.Deadline"/>, instead of waiting on a silent connection.
/// </summary>
internal sealed class StallGuardStream(Stream inner, TransferTimeouts timeouts, long expectedBytes) : Stream
{
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private readonly TimeSpan _deadline = timeouts.Deadline(expectedBytes);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var left = _deadline - TimeProvider.System.GetElapsedTime(_started);
        var wait = left < timeouts.Request ? left : timeouts.Request;
        if (wait <= TimeSpan.Zero)
        {
            throw Stalled();
        }

        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stalled.CancelAfter(wait);
        try
        {
            return await inner.ReadAsync(buffer, stalled.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Stalled(ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private IOException Stalled(Exception? inner = null) =>
        new($"response body stalled: no data within {timeouts.Request.TotalSeconds:0.#} s", new TimeoutException("stalled", inner));
}
