namespace DrOrchestrator.Catalog.Entities;

/// <summary>
/// A repository snapshot. <see cref="SnapshotId"/> is the repository's own (hex) id, the same on
/// every target holding a copy; where it is present is in <see cref="SnapshotPresenceEntity"/>.
/// </summary>
public sealed class SnapshotEntity
{
    public long Id { get; set; }

    public required string SnapshotId { get; set; }

    public long PolicyId { get; set; }

    public PolicyEntity? Policy { get; set; }

    /// <summary>When the snapshot was taken (run start).</summary>
    public DateTimeOffset Time { get; set; }

    /// <summary>The moment the data reflects (dump start, replica replay time, file scan start).</summary>
    public DateTimeOffset RecoveryPoint { get; set; }

    public required string Hostname { get; set; }

    public required string TreeId { get; set; }

    public string? ParentSnapshotId { get; set; }

    public long FileCount { get; set; }

    public long DirCount { get; set; }

    public long TotalBytes { get; set; }

    public long BytesNew { get; set; }

    public long BytesStored { get; set; }

    public SnapshotKind Kind { get; set; }

    public List<SnapshotPresenceEntity> Presence { get; set; } = [];
}
