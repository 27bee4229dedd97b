namespace DrOrchestrator.Catalog.Entities;

/// <summary>Whether a snapshot is on a target, and since when it is complete there (drives per-target RPO).</summary>
public sealed class SnapshotPresenceEntity
{
    public long SnapshotRowId { get; set; }

    public SnapshotEntity? Snapshot { get; set; }

    public long TargetId { get; set; }

    public TargetEntity? Target { get; set; }

    public PresenceStatus Status { get; set; }

    /// <summary>When the snapshot became complete (durable and visible) on the target; null while copying or missing.</summary>
    public DateTimeOffset? CompleteAt { get; set; }

    public DateTimeOffset? LastVerifiedAt { get; set; }
}
