namespace DrOrchestrator.Core.Compression;

/// <summary>zstd through the system's libzstd (see <see cref="ZstdContext"/> for why).</summary>
internal sealed unsafe class NativeZstdContext(LibZstd lib) : ZstdContext
{
    private const ulong ContentSizeUnknown = ulong.MaxValue;
    private const ulong ContentSizeError = ulong.MaxValue - 1;
    private nint _cctx;
    private nint _dctx;

    public override string Implementation => $"native (libzstd {lib.Version})";

    public override int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        if (_cctx == 0)
        {
            _cctx = lib.CreateCCtx();
            if (_cctx == 0)
            {
                throw new OutOfMemoryException("libzstd could not allocate a compression context");
            }
        }

        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var n = lib.CompressCCtx(_cctx, dst, (nuint)destination.Length, src, (nuint)source.Length, level);
            return (int)lib.Check(n, "compress");
        }
    }

    public override int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (_dctx == 0)
        {
            _dctx = lib.CreateDCtx();
            if (_dctx == 0)
            {
                throw new OutOfMemoryException("libzstd could not allocate a decompression context");
            }
        }

        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var n = lib.DecompressDCtx(_dctx, dst, (nuint)destination.Length, src, (nuint)source.Length);
            return (int)lib.Check(n, "decompress");
        }
    }

    protected override long? FrameContentSize(ReadOnlySpan<byte> source)
    {
        fixed (byte* src = source)
        {
            var size = lib.GetFrameContentSize(src, (nuint)source.Length);
            return size is ContentSizeUnknown or ContentSizeError || size > long.MaxValue ? null : (long)size;
        }
    }

    public override void Dispose()
    {
        if (_cctx != 0)
        {
            lib.FreeCCtx(_cctx);
            _cctx = 0;
        }

        if (_dctx != 0)
        {
            lib.FreeDCtx(_dctx);
            _dctx = 0;
        }
    }
}
