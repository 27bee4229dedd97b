using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Orchestration.Replication;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>
/// What one policy backup run produced: its snapshot (one per run, holding every source; a list so
/// that a run that failed before committing has none) and the run's figures.
/// </summary>
public sealed record PolicyBackupOutcome(Policy Policy, string Target, long RunId, IReadOnlyList<BackupResult> Results, TimeSpan Elapsed)
{
    public IEnumerable<BackupIssue> Warnings => Results.SelectMany(r => r.Warnings);

    public IEnumerable<BackupIssue> Errors => Results.SelectMany(r => r.Errors);

    /// <summary>Primaries that do not hold this run's snapshot, each as "name: reason".</summary>
    public IReadOnlyList<string> MissingPrimaries { get; init; } = [];

    /// <summary>The copies to replicas (and lagging primaries) run after the backup.</summary>
    public IReadOnlyList<TargetCopyOutcome> Copies { get; init; } = [];

    /// <summary>The primaries the snapshot was written to (the first is <see cref="Target"/>).</summary>
    public IReadOnlyList<string> CompletePrimaries { get; init; } = [];

    /// <summary>Every target that holds the snapshot after this run: the complete primaries, then each successful copy.</summary>
    public IReadOnlyList<string> SavedOn =>
        [.. (CompletePrimaries.Count > 0 ? CompletePrimaries : [Target]).Concat(Copies.Where(c => c.Error is null).Select(c => c.Target)).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// Degraded when some files could not be read (the snapshot is incomplete) or a primary missed
    /// the run while minPrimaries was still met. A failed replica copy does not degrade the backup:
    /// it shows as that target's growing lag.
    /// </summary>
    public RunStatus Status => Errors.Any() || MissingPrimaries.Count > 0 ? RunStatus.Degraded : RunStatus.Succeeded;

    public long BytesRead => Results.Sum(r => r.Snapshot.Summary.BytesRead);

    public long BytesNew => Results.Sum(r => r.Snapshot.Summary.BytesNew);

    public long BytesStored => Results.Sum(r => r.Snapshot.Summary.BytesStored);

    public long TotalBytes => Results.Sum(r => r.Snapshot.Summary.TotalBytes);

    public long TotalFiles => Results.Sum(r => r.Snapshot.Summary.TotalFiles);

    public RunFigures RunFigures => new(
        BytesRead, BytesNew, BytesStored, TotalFiles, Warnings.Count(), Results.Count > 0 ? Results[^1].Snapshot.Id : null);

    /// <summary>
    /// Per-file issues for the catalog: the errors, then the warnings (flagged) — the same lists
    /// the CLI prints and --json carries; <see cref="RunFigures"/> counts the warnings.
    /// </summary>
    public IReadOnlyList<RunErrorInfo> RunErrors =>
        [.. Errors.Select(e => new RunErrorInfo(e.Path, e.Message)), .. Warnings.Select(w => new RunErrorInfo(w.Path, w.Message) { IsWarning = true })];
}
