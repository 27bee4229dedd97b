namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A <see cref="ForwardReadStream"/> that reads from another stream and owns it: disposing the
/// wrapper disposes <see cref="Inner"/> (an object body's HTTP response, a file) unless
/// <c>leaveOpen</c> says the caller keeps it. The wrappers around object content differ only in
/// what they do per read; the ownership is written once, here.
/// </summary>
public abstract class ForwardWrapperStream : ForwardReadStream
{
    private readonly bool _leaveOpen;

    protected ForwardWrapperStream(Stream inner, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
        _leaveOpen = leaveOpen;
    }

    protected Stream Inner { get; }

    public override async ValueTask DisposeAsync()
    {
        if (!_leaveOpen)
        {
            await Inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
