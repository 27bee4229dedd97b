using ZstdSharp;

namespace DrOrchestrator.Core.Compression;

/// <summary>zstd through ZstdSharp, the managed port: used where libzstd cannot be loaded.</summary>
internal sealed class ManagedZstdContext : ZstdContext
{
    private readonly Decompressor _decompressor = new();
    private Compressor? _compressor;
    private int _level;

    public override string Implementation => "managed (ZstdSharp)";

    public override int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        if (_compressor is null || _level != level)
        {
            _compressor?.Dispose();
            _compressor = new Compressor(level);
            _level = level;
        }

        return _compressor.Wrap(source, destination);
    }

    public override int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        try
        {
            return _decompressor.Unwrap(source, destination);
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"zstd: {e.Message}", e);
        }
    }

    protected override long? FrameContentSize(ReadOnlySpan<byte> source)
    {
        try
        {
            var size = Decompressor.GetDecompressedSize(source);
            return size > long.MaxValue ? null : (long)size;
        }
        catch (ZstdException)
        {
            return null; // not a frame, or one that records no size
        }
    }

    public override void Dispose()
    {
        _compressor?.Dispose();
        _decompressor.Dispose();
    }
}
