using DrOrchestrator.Orchestration.Drill;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// The drill of one target as the front doors hand it out (`drorch drill --json`, the API).
/// <see cref="Outcome"/> is <c>passed</c>, <c>failed</c> or <c>passed-over-rto</c>.
/// </summary>
public sealed record DrillInfo(
    string Target,
    long RunId,
    string? SnapshotId,
    string Outcome,
    long FilesInSnapshot,
    long FilesExpected,
    long FilesVerified,
    long BytesRestored,
    double RtoAchievedSeconds,
    double RtoTargetSeconds,
    double RestoreSeconds,
    double VerifySeconds,
    IReadOnlyList<DrillMismatchInfo> Mismatches,
    string? Error)
{
    public static DrillInfo From(TargetDrillOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return new(
            outcome.Target, outcome.RunId, outcome.SnapshotId, DrillService.DrillOutcomeText(outcome.Outcome), outcome.FilesInSnapshot, outcome.FilesExpected,
            outcome.FilesVerified, outcome.BytesRestored, outcome.RtoAchieved.TotalSeconds, outcome.RtoTarget.TotalSeconds, outcome.RestoreTime.TotalSeconds,
            outcome.VerifyTime.TotalSeconds, [.. outcome.Mismatches.Select(m => new DrillMismatchInfo(m.Path, m.Expected, m.Actual, m.Reason))], outcome.Error);
    }
}

/// <summary>A file the drill found different: expected and actual SHA-256 (hex), null when absent.</summary>
public sealed record DrillMismatchInfo(string Path, string? Expected, string? Actual, string Reason);
