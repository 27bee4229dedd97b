using System.Text.Json;
using System.Text.Json.Serialization;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Cli.Console;

/// <summary>
/// The `--json` shapes. They are part of the CLI contract: fields are only ever added, never
/// renamed or removed. Times are ISO 8601 UTC, sizes in bytes, durations in seconds.
/// </summary>
public static class CliJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static PolicyJson Policy(Policy p) => new(
        p.Name, p.Description, (long)p.Rpo.TotalSeconds, (long)p.Rto.TotalSeconds, p.Schedule.Cron, p.Schedule.TimeZone, p.MinPrimaries,
        [.. p.Targets.Select(t => new PolicyTargetJson(t.Name, t.Role.ToString().ToLowerInvariant()))]);

    public static BackupJson Backup(PolicyBackupOutcome o) => new(
        o.Policy.Name, o.Target, o.RunId, o.Status.ToString().ToLowerInvariant(), o.Elapsed.TotalSeconds,
        [.. o.Results.Select(r => Snapshot(r.Snapshot))],
        [.. o.Warnings.Select(w => new IssueJson(w.Path, w.Message))],
        [.. o.Errors.Select(e => new IssueJson(e.Path, e.Message))],
        o.MissingPrimaries,
        [.. o.Copies.Select(c => new CopyJson(c.Target, c.Succeeded, c.Report?.PacksCopied ?? 0, c.Report?.BytesCopied ?? 0, c.Report?.SnapshotsCopied ?? [], c.Error))]);

    public static SnapshotJson Snapshot(Snapshot s) => new(
        s.Id, s.PolicyName, s.Time.ToUniversalTime(), s.RecoveryPoint.ToUniversalTime(), s.Hostname, s.Paths, s.ParentId,
        s.Summary.TotalFiles, s.Summary.Directories, s.Summary.TotalBytes, s.Summary.FilesNew, s.Summary.FilesChanged, s.Summary.FilesUnmodified,
        s.Summary.BytesRead, s.Summary.BytesNew, s.Summary.BytesStored, s.Summary.Duration.TotalSeconds);

    public static RestoreJson Restore(PolicyRestoreOutcome o, string destination) => new(
        o.Snapshot.PolicyName, o.Snapshot.Id, o.Snapshot.RecoveryPoint.ToUniversalTime(), o.Target, destination,
        o.Result.Files, o.Result.Directories, o.Result.Symlinks, o.Result.Bytes, o.Result.FilesVerified, o.Elapsed.TotalSeconds, o.BadCopies);

    public static FindingJson Finding(CheckFinding f) =>
        new(f.Severity.ToString().ToLowerInvariant(), f.ObjectKey, f.Message, f.AffectedFiles);
}

public sealed record PolicyTargetJson(string Name, string Role);

public sealed record PolicyJson(string Name, string? Description, long RpoSeconds, long RtoSeconds, string Cron, string TimeZone, int MinPrimaries, IReadOnlyList<PolicyTargetJson> Targets);

public sealed record IssueJson(string Path, string Message);

public sealed record SnapshotJson(
    string Id, string? Policy, DateTimeOffset Time, DateTimeOffset RecoveryPoint, string Hostname, IReadOnlyList<string> Paths, string? ParentId,
    long Files, long Directories, long TotalBytes, long FilesNew, long FilesChanged, long FilesUnmodified,
    long BytesRead, long BytesNew, long BytesStored, double DurationSeconds);

public sealed record BackupJson(
    string Policy, string Target, long RunId, string Status, double ElapsedSeconds,
    IReadOnlyList<SnapshotJson> Snapshots, IReadOnlyList<IssueJson> Warnings, IReadOnlyList<IssueJson> Errors,
    IReadOnlyList<string> MissingPrimaries, IReadOnlyList<CopyJson> Copies);

public sealed record CopyJson(string Target, bool Succeeded, int PacksCopied, long BytesCopied, IReadOnlyList<string> SnapshotsCopied, string? Error);

public sealed record RestoreJson(
    string? Policy, string SnapshotId, DateTimeOffset RecoveryPoint, string Target, string Destination,
    long Files, long Directories, long Symlinks, long Bytes, long FilesVerified, double ElapsedSeconds, IReadOnlyList<string> BadCopies);

public sealed record FindingJson(string Severity, string? Object, string Message, IReadOnlyList<string> AffectedFiles);
