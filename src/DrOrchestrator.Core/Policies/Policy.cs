namespace DrOrchestrator.Core.Policies;

/// <summary>
/// One backup policy as declared by an admin: what to back up, where to, when, and the
/// recovery objectives it must meet. Instances come only from <see cref="PolicyFileParser"/>
/// (validated) or are built by code that validates the same way; the model itself does not
/// re-check invariants. Record equality compares the lists by reference: to compare two
/// policies by content, compare their <see cref="PolicySerializer"/> text (as the catalog does
/// with its hash).
/// </summary>
/// <param name="Name">Unique policy name, <c>[a-z0-9][a-z0-9-]{0,62}</c>.</param>
/// <param name="Description">Free text for humans; may be null.</param>
/// <param name="Sources">What is backed up; at least one.</param>
/// <param name="Targets">Where snapshots go; at least one primary.</param>
/// <param name="MinPrimaries">How many primary targets must hold a snapshot for a run to succeed.</param>
/// <param name="Schedule">When backups run (Quartz cron with seconds, IANA time zone).</param>
/// <param name="Rpo">Recovery point objective: the largest tolerated age of the newest complete recovery point.</param>
/// <param name="Rto">Recovery time objective: the longest tolerated restore-and-verify time.</param>
/// <param name="Retention">Which snapshots prune keeps.</param>
/// <param name="Drill">Optional scheduled restore drill.</param>
public sealed record Policy(
    string Name,
    string? Description,
    IReadOnlyList<PolicySource> Sources,
    IReadOnlyList<PolicyTarget> Targets,
    int MinPrimaries,
    PolicySchedule Schedule,
    TimeSpan Rpo,
    TimeSpan Rto,
    RetentionRules Retention,
    DrillSettings? Drill)
{
    /// <summary>The targets whose role is <see cref="TargetRole.Primary"/>.</summary>
    public IEnumerable<PolicyTarget> Primaries => Targets.Where(t => t.Role == TargetRole.Primary);

    /// <summary>The targets whose role is <see cref="TargetRole.Replica"/>.</summary>
    public IEnumerable<PolicyTarget> Replicas => Targets.Where(t => t.Role == TargetRole.Replica);
}
