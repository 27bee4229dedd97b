namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A body for <see cref="IObjectStore.PutAsync"/> that already knows its CRC-32 (IEEE 802.3, the
/// one S3 calls CRC32), computed while the body was written. A store that must send a checksum
/// header before the body can take it from here instead of reading the whole body once more.
/// </summary>
public interface IPrecomputedCrc32
{
    /// <summary>CRC-32 of the content from position 0 to its end.</summary>
    uint Crc32 { get; }
}
