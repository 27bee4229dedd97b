using System.Text.Json.Serialization;
using DrOrchestrator.Orchestration.Backup;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>What one backup run of a policy did: `backup --json` and the API's run result.</summary>
public sealed record BackupRunInfo(
    string Policy, string Target, long RunId, string Status, double ElapsedSeconds,
    IReadOnlyList<SnapshotInfo> Snapshots, IReadOnlyList<IssueInfo> Warnings, IReadOnlyList<IssueInfo> Errors,
    IReadOnlyList<string> MissingPrimaries, IReadOnlyList<CopyInfo> Copies)
{
    [JsonIgnore]
    public TimeSpan Elapsed { get; init; }

    /// <summary>Every target holding the snapshot after the run (complete primaries, then successful copies), by configured name.</summary>
    public IReadOnlyList<string> SavedOn { get; init; } = [];

    [JsonIgnore]
    public long BytesRead => Snapshots.Sum(s => s.BytesRead);

    [JsonIgnore]
    public long BytesNew => Snapshots.Sum(s => s.BytesNew);

    [JsonIgnore]
    public long BytesStored => Snapshots.Sum(s => s.BytesStored);

    /// <summary>Some files could not be read: the snapshot is committed but incomplete.</summary>
    [JsonIgnore]
    public bool IsIncomplete => Errors.Count > 0;

    public static BackupRunInfo From(PolicyBackupOutcome o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new(
            o.Policy.Name, o.Target, o.RunId, o.Status.ToString().ToLowerInvariant(), o.Elapsed.TotalSeconds,
            [.. o.Results.Select(r => SnapshotInfo.From(r.Snapshot))],
            [.. o.Warnings.Select(IssueInfo.From)],
            [.. o.Errors.Select(IssueInfo.From)],
            o.MissingPrimaries,
            [.. o.Copies.Select(CopyInfo.From)])
        {
            Elapsed = o.Elapsed,
            SavedOn = o.SavedOn,
        };
    }
}
