namespace DrOrchestrator.Core.Compression;

/// <summary>
/// One-shot zstd compression and decompression with reusable contexts. Not thread-safe: one per
/// worker. <see cref="Create"/> uses the system's libzstd when it can be loaded (every Debian has
/// it: dpkg depends on it) and the managed port (ZstdSharp) otherwise. Both write and read the
/// same standard zstd frames, content size included, so a repository does not care which one
/// wrote it.
/// </summary>
/// <remarks>
/// Why native when a managed port exists: the managed decoder is slower and the JIT re-compiles
/// its very large methods at tier 1 during every run, while libzstd needs no JIT at all and also
/// compresses incompressible data faster (figures in docs/decisions.md §10).
/// </remarks>
internal abstract class ZstdContext : IDisposable
{
    /// <summary>The largest frame content size <see cref="Decompress(ReadOnlySpan{byte})"/> accepts (metadata objects are far smaller).</summary>
    public const int MaxUnsizedOutput = 512 * 1024 * 1024;

    /// <summary>"native (libzstd 1.5.4)" or "managed (ZstdSharp)": for diagnostics.</summary>
    public abstract string Implementation { get; }

    public static ZstdContext Create() => LibZstd.TryLoad() is { } lib ? new NativeZstdContext(lib) : new ManagedZstdContext();

    /// <summary>Worst-case compressed size of <paramref name="length"/> bytes (zstd's ZSTD_COMPRESSBOUND).</summary>
    public static int CompressBound(int length)
    {
        const int blockSize = 128 * 1024;
        var margin = length < blockSize ? (blockSize - length) >> 11 : 0;
        return checked(length + (length >> 8) + margin);
    }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="CompressBound"/> long); returns the frame's length.</summary>
    public abstract int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level);

    /// <summary>Decompresses one frame into <paramref name="destination"/>; returns the decompressed length.</summary>
    /// <exception cref="InvalidDataException">Corrupt frame, or it does not fit.</exception>
    public abstract int Decompress(ReadOnlySpan<byte> source, Span<byte> destination);

    /// <summary>Decompresses one frame that records its content size (as every frame we write does).</summary>
    /// <exception cref="InvalidDataException">Corrupt frame, no or an implausible content size.</exception>
    public byte[] Decompress(ReadOnlySpan<byte> source)
    {
        var size = FrameContentSize(source);
        if (size is null or < 0 or > MaxUnsizedOutput)
        {
            throw new InvalidDataException("zstd frame does not record a plausible content size");
        }

        var output = new byte[size.Value];
        var n = Decompress(source, output);
        if (n != output.Length)
        {
            throw new InvalidDataException($"zstd frame decompresses to {n} bytes, its header says {output.Length}");
        }

        return output;
    }

    /// <summary>The content size the frame header records, or null when it records none.</summary>
    protected abstract long? FrameContentSize(ReadOnlySpan<byte> source);

    public abstract void Dispose();
}
