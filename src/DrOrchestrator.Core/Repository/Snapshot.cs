using System.Text.Json.Serialization;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// One backup run's result as stored in <c>snapshots/&lt;Id&gt;</c>. Visible only once everything
/// it references is durable in the repository.
/// </summary>
/// <param name="Id">64 hex chars; also the object's key suffix.</param>
/// <param name="Time">When the run started.</param>
/// <param name="RecoveryPoint">The moment the data reflects: the earliest of its sources' (file scan start, dump snapshot).</param>
/// <param name="Paths">Absolute paths of every files source; each is a top-level entry of the tree, named by its last segment.</param>
/// <param name="TreeId">Id (hex) of the root tree blob: the top-level entries of every source.</param>
/// <param name="ParentId">Snapshot used for incremental change detection, if any.</param>
/// <param name="Sources">The sources this snapshot holds (one run of a policy = one snapshot, every
/// source in it). Null in snapshots written before sources were recorded: those hold one files
/// source over <see cref="Paths"/>.</param>
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
    SnapshotSummary Summary,
    IReadOnlyList<SnapshotSource>? Sources = null)
{
    /// <summary>First 8 hex chars, as shown to users.</summary>
    [JsonIgnore]
    public string ShortId => Id[..Math.Min(8, Id.Length)];
}

/// <summary>One source of a snapshot, as the run saw it.</summary>
/// <param name="Type">The policy's source type (<c>files</c>; later <c>postgres</c>, …).</param>
/// <param name="Entries">The top-level entries of the snapshot tree this source owns (names; no two sources share one).</param>
/// <param name="RecoveryPoint">The moment this source's data reflects.</param>
/// <param name="Paths">Files: the absolute paths backed up. Empty for other types.</param>
/// <param name="Include">Files: the include globs applied to each of <paramref name="Paths"/>.</param>
/// <param name="Exclude">Files: the exclude globs applied to each of <paramref name="Paths"/>.</param>
/// <param name="Manifest">Id (hex) of a data blob holding the source's manifest (JSON defined by the
/// source type: engine, server version, fingerprint…); null when the type has none (files).</param>
public sealed record SnapshotSource(
    string Type,
    IReadOnlyList<string> Entries,
    DateTimeOffset RecoveryPoint,
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    string? Manifest);

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
