using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>What one policy backup run produced: a snapshot per source and the run's figures.</summary>
public sealed record PolicyBackupOutcome(Policy Policy, string Target, long RunId, IReadOnlyList<BackupResult> Results, TimeSpan Elapsed)
{
    public IEnumerable<BackupIssue> Warnings => Results.SelectMany(r => r.Warnings);

    public IEnumerable<BackupIssue> Errors => Results.SelectMany(r => r.Errors);

    /// <summary>Degraded when some files could not be read: the snapshot exists but is incomplete.</summary>
    public RunStatus Status => Errors.Any() ? RunStatus.Degraded : RunStatus.Succeeded;

    public long BytesRead => Results.Sum(r => r.Snapshot.Summary.BytesRead);

    public long BytesNew => Results.Sum(r => r.Snapshot.Summary.BytesNew);

    public long BytesStored => Results.Sum(r => r.Snapshot.Summary.BytesStored);

    public long TotalBytes => Results.Sum(r => r.Snapshot.Summary.TotalBytes);

    public long TotalFiles => Results.Sum(r => r.Snapshot.Summary.TotalFiles);

    public RunFigures RunFigures => new(
        BytesRead, BytesNew, BytesStored, TotalFiles, Warnings.Count(), Results.Count > 0 ? Results[^1].Snapshot.Id : null);

    /// <summary>Per-file errors for the catalog (warnings are counted, errors listed).</summary>
    public IReadOnlyList<RunErrorInfo> RunErrors => [.. Errors.Select(e => new RunErrorInfo(e.Path, e.Message))];
}
