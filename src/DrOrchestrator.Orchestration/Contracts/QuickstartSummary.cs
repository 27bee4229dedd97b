using DrOrchestrator.Orchestration.Quickstart;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>The figures `quickstart` ends with: its two backups, the restore and the comparison.</summary>
public sealed record QuickstartSummary(
    string Policy, string Target, string SampleDirectory, long SampleBytes, IReadOnlyList<BackupRunInfo> Backups,
    RestoreInfo Restore, int FilesCompared, double DedupRatio)
{
    public static QuickstartSummary From(QuickstartReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var first = report.Backups[0];
        return new(
            first.Policy.Name, first.Target, report.SampleDirectory, report.SampleBytes, [.. report.Backups.Select(BackupRunInfo.From)],
            RestoreInfo.From(report.Restore, report.RestoreDirectory), report.FilesCompared, report.DedupRatio);
    }
}
