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
        var cctx = _cctx != 0 ? _cctx : (_cctx = Allocated(lib.CreateCCtx(), "compression"));
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var n = lib.CompressCCtx(cctx, dst, (nuint)destination.Length, src, (nuint)source.Length, level);
            return (int)lib.Check(n, "compress");
        }
    }

    public override int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var dctx = _dctx != 0 ? _dctx : (_dctx = Allocated(lib.CreateDCtx(), "decompression"));
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var n = lib.DecompressDCtx(dctx, dst, (nuint)destination.Length, src, (nuint)source.Length);
            return (int)lib.Check(n, "decompress");
        }
    }

    /// <summary>Contexts are created on first use: a reader never pays for a compression context.</summary>
    private static nint Allocated(nint context, string kind) =>
        context != 0 ? context : throw new OutOfMemoryException($"libzstd could not allocate a {kind} context");

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
