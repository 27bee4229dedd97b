using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Testing;

/// <summary>Flips the low bit of the first byte read, so a checksum over the content no longer matches.</summary>
public sealed class CorruptingReadStream(Stream inner) : ForwardReadStream
{
    private bool _corrupted;

    public override int Read(Span<byte> buffer) => Corrupt(buffer, inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Corrupt(buffer.Span, read);
    }


    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Corrupt(Span<byte> buffer, int read)
    {
        if (!_corrupted && read > 0)
        {
            buffer[0] ^= 1;
            _corrupted = true;
        }

        return read;
    }
}
