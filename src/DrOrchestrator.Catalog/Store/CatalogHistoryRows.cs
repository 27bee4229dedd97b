using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrOrchestrator.Catalog;

// The rows of a catalog history export (CatalogStore.ExportHistoryAsync): one JSON object per
// line, {"t": kind, "v": row}. Ids are the exporting catalog's own; an import maps them to new
// ones. Fields are only ever added: an older export must stay importable (docs/decisions.md §58).

internal sealed record HistoryLine(string T, JsonElement V);

internal sealed record TargetRow(long Id, string Name, string Type, string? Description, DateTimeOffset UpdatedAt);

internal sealed record PolicyRow(
    long Id, string Name, string? Description, string Yaml, string YamlSha256, long RpoSeconds, long RtoSeconds, int MinPrimaries,
    DateTimeOffset CreatedAt, DateTimeOffset AppliedAt, DateTimeOffset? DeletedAt);

internal sealed record PresenceRow(long TargetId, PresenceStatus Status, DateTimeOffset? CompleteAt, DateTimeOffset? LastVerifiedAt);

internal sealed record SnapshotRow(
    long Id, string SnapshotId, long PolicyId, DateTimeOffset Time, DateTimeOffset RecoveryPoint, string Hostname, string TreeId,
    string? ParentSnapshotId, long FileCount, long DirCount, long TotalBytes, long BytesNew, long BytesStored, SnapshotKind Kind,
    IReadOnlyList<PresenceRow> Presence);

internal sealed record RunErrorRow(string? Path, string Message, bool IsWarning);

internal sealed record RunRow(
    long Id, long? PolicyId, long? TargetId, RunKind Kind, RunStatus Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    long BytesRead, long BytesNew, long BytesStored, long Files, string? ErrorMessage, int WarningsCount, string? SnapshotId,
    string? Host, int? ProcessId, DateTimeOffset? ProcessStartedAt, DateTimeOffset? HeartbeatAt, IReadOnlyList<RunErrorRow> Errors);

internal sealed record DrillMismatchRow(string Path, string? Expected, string? Actual, string Reason);

internal sealed record DrillRow(
    long RunId, string SnapshotId, DrillOutcome Outcome, long FilesVerified, long BytesRestored, long Mismatches, double RtoAchievedSeconds,
    double? RtoTargetSeconds, IReadOnlyList<DrillMismatchRow> MismatchDetails);

internal sealed record DrillFileRow(long PolicyId, long TargetId, string Path, DateTimeOffset FirstSeenAt, DateTimeOffset? VerifiedAt);

internal sealed record PolicyChangeRow(
    string PolicyName, PolicyChangeKind Kind, DateTimeOffset ChangedAt, string ChangedBy, string? YamlBefore, string? YamlAfter);

internal sealed record FireRow(
    string PolicyName, RunKind Kind, DateTimeOffset ScheduledAt, DateTimeOffset RecordedAt, FireStatus Status, string? JobId, string? Detail);

/// <summary>The kinds of lines, as written in "t".</summary>
internal static class HistoryKinds
{
    public const string Target = "target";
    public const string Policy = "policy";
    public const string Snapshot = "snapshot";
    public const string Run = "run";
    public const string Drill = "drill";
    public const string DrillFile = "drillFile";
    public const string PolicyChange = "policyChange";
    public const string Fire = "fire";

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>What an import of a catalog history added, by kind of row.</summary>
public sealed record CatalogHistoryCounts(int Policies, int Targets, int Snapshots, int Runs, int Drills, int PolicyChanges, int Fires)
{
    /// <summary>Lines of kinds this version does not know (written by a newer one), skipped.</summary>
    public int Skipped { get; init; }
}

/// <summary>A snapshot found in a repository for <see cref="CatalogStore.AddScannedSnapshotsAsync"/>.</summary>
public sealed record ScannedSnapshot(string PolicyName, SnapshotFigures Figures, DateTimeOffset CompleteAt);
