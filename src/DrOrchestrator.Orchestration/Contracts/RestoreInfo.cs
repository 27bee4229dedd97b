using System.Text.Json.Serialization;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>What a restore brought back and where from: `restore --json` and the API's result.</summary>
public sealed record RestoreInfo(
    string? Policy, string SnapshotId, DateTimeOffset RecoveryPoint, string Target, string Destination,
    long Files, long Directories, long Symlinks, long Bytes, long FilesVerified, double ElapsedSeconds, IReadOnlyList<string> BadCopies)
{
    [JsonIgnore]
    public string ShortId => SnapshotId[..Math.Min(8, SnapshotId.Length)];

    [JsonIgnore]
    public TimeSpan Elapsed { get; init; }

    /// <summary>Every file that could not be restored (snapshot path) and why; none of them is under its real name.</summary>
    public IReadOnlyList<IssueInfo> Failures { get; init; } = [];

    /// <summary>Metadata the destination refused (owner, extended attribute), by destination path.</summary>
    public IReadOnlyList<IssueInfo> Warnings { get; init; } = [];

    /// <summary>Files restored as hard links to another restored file (counted in Files too).</summary>
    public long HardLinks { get; init; }

    /// <summary>Entries removed from the destination because the snapshot does not hold them (--delete).</summary>
    public long Deleted { get; init; }

    /// <summary>Why the catalog was not used to order the targets; null when it was.</summary>
    [JsonIgnore]
    public string? CatalogProblem { get; init; }

    public static RestoreInfo From(PolicyRestoreOutcome o, string destination)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new(
            o.Snapshot.PolicyName, o.Snapshot.Id, o.Snapshot.RecoveryPoint.ToUniversalTime(), o.Target, destination,
            o.Result.Files, o.Result.Directories, o.Result.Symlinks, o.Result.Bytes, o.Result.FilesVerified, o.Elapsed.TotalSeconds, o.BadCopies)
        {
            Elapsed = o.Elapsed,
            CatalogProblem = o.CatalogProblem,
            Failures = [.. o.Result.Failures.Select(f => new IssueInfo(f.Path, f.Message))],
            Warnings = [.. o.Result.Warnings.Select(w => new IssueInfo(w.Path, w.Message))],
            HardLinks = o.Result.HardLinks,
            Deleted = o.Result.Deleted,
        };
    }
}
