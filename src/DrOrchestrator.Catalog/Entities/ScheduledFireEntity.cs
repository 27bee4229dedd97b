namespace DrOrchestrator.Catalog.Entities;

/// <summary>
/// One scheduled fire of a policy's trigger (backup or drill) and what became of it. The unique
/// (policy, kind, scheduled at) index is the idempotency key: a trigger that fires twice for the
/// same instant (two nodes, a retry) inserts once, and only the inserter enqueues the work.
/// </summary>
public sealed class ScheduledFireEntity
{
    public long Id { get; set; }

    public required string PolicyName { get; set; }

    public RunKind Kind { get; set; }

    /// <summary>The instant the trigger was due (not when it actually fired).</summary>
    public DateTimeOffset ScheduledAt { get; set; }

    public DateTimeOffset RecordedAt { get; set; }

    public FireStatus Status { get; set; }

    /// <summary>The work queue's job id once enqueued.</summary>
    public string? JobId { get; set; }

    /// <summary>Why a fire was missed or how its job ended.</summary>
    public string? Detail { get; set; }
}
