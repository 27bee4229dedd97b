namespace DrOrchestrator.Core.Repository;

/// <summary>The repository's encrypted <c>config</c> object (see FORMAT.md).</summary>
/// <param name="Version">Format version; this code reads and writes 1.</param>
/// <param name="RepositoryId">Random 32-byte id, hex.</param>
public sealed record RepositoryConfig(
    int Version,
    string RepositoryId,
    ChunkerParameters Chunker,
    int CompressionLevel,
    int PackSize)
{
    public const int CurrentVersion = 1;
}

/// <summary>Content-defined chunking parameters; <paramref name="GearSeed"/> seeds the gear table.</summary>
public sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize, ulong GearSeed);
