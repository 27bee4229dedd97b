namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Parameters fixed when a repository is created (they are stored in its encrypted config and
/// cannot change afterwards, because dedup depends on them). Defaults suit production; tests use
/// small chunks and few KDF iterations.
/// </summary>
public sealed record RepositoryInitOptions
{
    public const int DefaultKdfIterations = 600_000;

    /// <summary>Smallest chunk (except a file's last one). Default 256 KiB.</summary>
    public int ChunkMinSize { get; init; } = 256 * 1024;

    /// <summary>Average chunk size; must be a power of two. Default 1 MiB.</summary>
    public int ChunkAverageSize { get; init; } = 1024 * 1024;

    /// <summary>Largest chunk. Default 4 MiB.</summary>
    public int ChunkMaxSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>zstd level, 1..19. Default 1: on a 2-core box level 3 halves backup throughput for ~5% smaller output.</summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>A pack is closed once it reaches this size. Default 16 MiB.</summary>
    public int PackSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>PBKDF2-SHA256 iterations for the key file. Default 600 000 (OWASP 2023); at least 1 000 (tests only).</summary>
    public int KdfIterations { get; init; } = DefaultKdfIterations;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field and its value.</summary>
    public void Validate()
    {
        Require(ChunkMinSize >= 64, nameof(ChunkMinSize), ChunkMinSize, "must be at least 64");
        Require(ChunkAverageSize > ChunkMinSize && (ChunkAverageSize & (ChunkAverageSize - 1)) == 0,
            nameof(ChunkAverageSize), ChunkAverageSize, "must be a power of two above ChunkMinSize");
        Require(ChunkMaxSize > ChunkAverageSize && ChunkMaxSize <= 64 * 1024 * 1024,
            nameof(ChunkMaxSize), ChunkMaxSize, "must be above ChunkAverageSize and at most 64 MiB");
        Require(CompressionLevel is >= 1 and <= 19, nameof(CompressionLevel), CompressionLevel, "must be 1..19");
        Require(PackSize >= 4096 && PackSize <= 512 * 1024 * 1024, nameof(PackSize), PackSize, "must be 4 KiB..512 MiB");
        Require(KdfIterations >= 1000, nameof(KdfIterations), KdfIterations, "must be at least 1000");
    }

    private static void Require(bool ok, string field, int value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"repository option {field}={value} {rule}");
        }
    }
}
