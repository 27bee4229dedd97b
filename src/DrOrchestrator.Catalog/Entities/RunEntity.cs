namespace DrOrchestrator.Catalog.Entities;

/// <summary>One backup/copy/drill/restore/prune/check run and its figures.</summary>
public sealed class RunEntity
{
    public long Id { get; set; }

    /// <summary>Null for runs not tied to a policy (e.g. <c>check &lt;target&gt;</c>).</summary>
    public long? PolicyId { get; set; }

    public PolicyEntity? Policy { get; set; }

    /// <summary>The target a copy/check run works on; null when the run spans the policy's targets.</summary>
    public long? TargetId { get; set; }

    public TargetEntity? Target { get; set; }

    public RunKind Kind { get; set; }

    public RunStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public long BytesRead { get; set; }

    public long BytesNew { get; set; }

    public long BytesStored { get; set; }

    public long Files { get; set; }

    public string? ErrorMessage { get; set; }

    public int WarningsCount { get; set; }

    /// <summary>Repository snapshot id (hex) the run produced or used.</summary>
    public string? SnapshotId { get; set; }

    public List<RunErrorEntity> Errors { get; set; } = [];
}
