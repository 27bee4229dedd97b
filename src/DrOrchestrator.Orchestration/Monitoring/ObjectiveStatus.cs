using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// RPO and RTO of one policy on one target at <see cref="ObjectivesReport.GeneratedAt"/>: the row
/// of `drorch status`, the status page and the metrics.
/// </summary>
public sealed record TargetObjectives(
    string Policy,
    string Target,
    TargetRole Role,
    TimeSpan RpoTarget,
    DateTimeOffset? NewestRecoveryPoint,
    TimeSpan? Exposure,
    ComplianceFigures Compliance,
    IReadOnlyList<RpoBreach> Breaches,
    IReadOnlyList<ExposureSample> ExposureProfile,
    TimeSpan RtoTarget,
    DrillRecord? LastDrill,
    TimeSpan? WorstRto,
    TimeSpan? PredictedRto,
    long? NewestSnapshotBytes,
    TimeSpan? CopyLag)
{
    /// <summary>Exposure is known and within the policy's RPO.</summary>
    public bool RpoMet => Exposure is { } exposure && exposure <= RpoTarget;

    /// <summary>The last drill (if any) passed within the RTO and the predicted RTO (if known) is within it too.</summary>
    public bool RtoMet => (LastDrill?.Outcome is null or DrillOutcome.Passed) && (PredictedRto is null || PredictedRto <= RtoTarget);

    public bool WithinObjectives => RpoMet && RtoMet;
}

/// <summary>Fraction (0..1) of time within the RPO over the last 24 h, 7 d and 30 d (clipped to the policy's life).</summary>
public sealed record ComplianceFigures(double Day, double Week, double Month);

/// <summary>One policy's objectives on each of its targets, plus its drills of the reporting window, newest first.</summary>
public sealed record PolicyObjectives(string Policy, TimeSpan Rpo, TimeSpan Rto, IReadOnlyList<TargetObjectives> Targets, IReadOnlyList<DrillRecord> Drills)
{
    public bool WithinObjectives => Targets.All(t => t.WithinObjectives);
}

/// <summary>Every policy's objectives at one instant; <see cref="Since"/> is the start of the history (breaches, drills, chart).</summary>
public sealed record ObjectivesReport(DateTimeOffset GeneratedAt, DateTimeOffset Since, IReadOnlyList<PolicyObjectives> Policies)
{
    public bool WithinObjectives => Policies.All(p => p.WithinObjectives);

    public IEnumerable<TargetObjectives> Rows => Policies.SelectMany(p => p.Targets);
}
