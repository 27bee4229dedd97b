using System.Text.Json.Serialization;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// One backup run's result as stored in <c>snapshots/&lt;Id&gt;</c>. Visible only once everything
/// it references is durable in the repository.
/// </summary>
/// <param name="Id">64 hex chars; also the object's key suffix.</param>
/// <param name="Time">When the run started.</param>
/// <param name="RecoveryPoint">The moment the data reflects (file scan start).</param>
/// <param name="Paths">Absolute source paths; each is a top-level entry of the tree, named by its last segment.</param>
/// <param name="TreeId">Id (hex) of the root tree blob.</param>
/// <param name="ParentId">Snapshot used for incremental change detection, if any.</param>
public sealed record Snapshot(
    string Id,
    DateTimeOffset Time,
    DateTimeOffset RecoveryPoint,
    string Hostname,
    IReadOnlyList<string> Paths,
    string? PolicyName,
    IReadOnlyDictionary<string, string> Tags,
    string TreeId,
    string? ParentId,
    SnapshotSummary Summary)
{
    /// <summary>First 8 hex chars, as shown to users.</summary>
    [JsonIgnore]
    public string ShortId => Id[..Math.Min(8, Id.Length)];
}

/// <summary>Counters of a backup run.</summary>
/// <param name="BytesRead">File bytes actually read (0 for an unchanged re-backup).</param>
/// <param name="BytesNew">Plain bytes of chunks not already in the repository.</param>
/// <param name="BytesStored">Bytes of new blobs after compression and encryption (trees included).</param>
public sealed record SnapshotSummary(
    long FilesNew,
    long FilesChanged,
    long FilesUnmodified,
    long Directories,
    long TotalFiles,
    long TotalBytes,
    long BytesRead,
    long BytesNew,
    long BytesStored,
    long ChunksNew,
    TimeSpan Duration,
    int Warnings,
    int Errors);
