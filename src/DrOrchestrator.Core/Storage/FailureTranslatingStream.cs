namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A backend's object body whose read failures (a reset connection, a stall, an SDK's checksum
/// check of the body) surface as the seam's <see cref="ObjectStoreException"/> naming the store
/// and the key — the same as a failure to open it — so a fallback reader can move to the next copy.
/// </summary>
public sealed class FailureTranslatingStream(Stream inner, Func<Exception, bool> isFailure, Func<Exception, ObjectStoreException> translate) : ForwardWrapperStream(inner)
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested) && isFailure(ex))
        {
            throw translate(ex);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Inner.Read(buffer);
        }
        catch (Exception ex) when (isFailure(ex))
        {
            throw translate(ex);
        }
    }
}
