using System.Text.Json.Serialization;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>A snapshot written by a backup, with its figures.</summary>
public sealed record SnapshotInfo(
    string Id, string? Policy, DateTimeOffset Time, DateTimeOffset RecoveryPoint, string Hostname, IReadOnlyList<string> Paths, string? ParentId,
    long Files, long Directories, long TotalBytes, long FilesNew, long FilesChanged, long FilesUnmodified,
    long BytesRead, long BytesNew, long BytesStored, double DurationSeconds)
{
    [JsonIgnore]
    public string ShortId => Id[..Math.Min(8, Id.Length)];

    public static SnapshotInfo From(Snapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(
            s.Id, s.PolicyName, s.Time.ToUniversalTime(), s.RecoveryPoint.ToUniversalTime(), s.Hostname, s.Paths, s.ParentId,
            s.Summary.TotalFiles, s.Summary.Directories, s.Summary.TotalBytes, s.Summary.FilesNew, s.Summary.FilesChanged, s.Summary.FilesUnmodified,
            s.Summary.BytesRead, s.Summary.BytesNew, s.Summary.BytesStored, s.Summary.Duration.TotalSeconds);
    }
}

/// <summary>A file a backup could not read completely (error) or read with a caveat (warning).</summary>
public sealed record IssueInfo(string Path, string Message)
{
    public static IssueInfo From(BackupIssue issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        return new(issue.Path, issue.Message);
    }

    public override string ToString() => $"{Path}: {Message}";
}
