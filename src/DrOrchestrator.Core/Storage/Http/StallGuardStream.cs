namespace DrOrchestrator.Core.Storage.Http;

/// <summary>
/// A response body that fails with an <see cref="IOException"/> when no byte arrives for
/// <see cref="TransferTimeouts.Request"/>, or when the whole body takes longer than its
/// <see cref="TransferTimeouts.Deadline"/>, instead of waiting on a silent connection.
/// </summary>
internal sealed class StallGuardStream(Stream inner, TransferTimeouts timeouts, long expectedBytes) : ForwardWrapperStream(inner)
{
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private readonly TimeSpan _deadline = timeouts.Deadline(expectedBytes);

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
            return await Inner.ReadAsync(buffer, stalled.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Stalled(ex);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        // The SDKs read bodies asynchronously; a synchronous reader gets the same guard through a rented buffer.
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private IOException Stalled(Exception? cause = null) =>
        new($"response body stalled: no data within {timeouts.Request.TotalSeconds:0.#} s", new TimeoutException("stalled", cause));
}
