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

    /// <summary>
    /// Host of the process that runs it; with <see cref="ProcessId"/> and
    /// <see cref="ProcessStartedAt"/> (a pid is reused, a pid plus its start time is not) it lets
    /// the next command tell a live run from one whose process was killed. Null on runs recorded
    /// before the catalog kept it.
    /// </summary>
    public string? Host { get; set; }

    public int? ProcessId { get; set; }

    public DateTimeOffset? ProcessStartedAt { get; set; }

    /// <summary>
    /// When the running process last said it was alive (the start, then periodically): the "last
    /// seen" time of a run found interrupted, and the only liveness sign for a run of another host.
    /// </summary>
    public DateTimeOffset? HeartbeatAt { get; set; }

    public List<RunErrorEntity> Errors { get; set; } = [];
}
