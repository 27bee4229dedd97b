using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Catalog;

// The records CatalogStore takes and returns, so callers (CLI, server) never see EF entities.

/// <summary>What <see cref="CatalogStore.UpsertPolicyAsync(Policy, string, CancellationToken)"/> did.</summary>
public enum PolicyChange
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>A policy as stored: canonical YAML, its SHA-256, and when it last changed.</summary>
public sealed record CatalogPolicy(
    string Name,
    string? Description,
    string Yaml,
    string YamlSha256,
    TimeSpan Rpo,
    TimeSpan Rto,
    int MinPrimaries,
    DateTimeOffset CreatedAt,
    DateTimeOffset AppliedAt)
{
    /// <summary>Parses <see cref="Yaml"/> back into the model.</summary>
    /// <exception cref="CatalogException">The stored text no longer validates.</exception>
    public Policy ToPolicy()
    {
        var result = PolicyFileParser.Parse(new StringReader(Yaml), $"catalog:{Name}");
        return result.IsValid && result.Policies.Count == 1
            ? result.Policies[0]
            : throw new CatalogException($"policy '{Name}' in the catalog does not parse: {string.Join("; ", result.Problems)}");
    }
}

/// <summary>A target by name and kind; credentials are never stored.</summary>
public sealed record CatalogTarget(string Name, string Type, string? Description);

/// <summary>A snapshot's identity and figures as recorded after a backup.</summary>
public sealed record SnapshotFigures(
    string SnapshotId,
    SnapshotKind Kind,
    DateTimeOffset Time,
    DateTimeOffset RecoveryPoint,
    string Hostname,
    string TreeId,
    string? ParentSnapshotId,
    long FileCount,
    long DirCount,
    long TotalBytes,
    long BytesNew,
    long BytesStored);

/// <summary>A snapshot's state on one target.</summary>
public sealed record SnapshotPresenceInfo(string TargetName, PresenceStatus Status, DateTimeOffset? CompleteAt, DateTimeOffset? LastVerifiedAt);

/// <summary>A snapshot with where it is.</summary>
public sealed record CatalogSnapshot(string PolicyName, SnapshotFigures Figures, IReadOnlyList<SnapshotPresenceInfo> Presence);

/// <summary>The figures a run reports when it completes.</summary>
public sealed record RunFigures(long BytesRead, long BytesNew, long BytesStored, long Files, int WarningsCount, string? SnapshotId = null)
{
    public static RunFigures None { get; } = new(0, 0, 0, 0, 0);
}

/// <summary>One per-item issue of a run: an error, or a warning when <see cref="IsWarning"/>.</summary>
public sealed record RunErrorInfo(string? Path, string Message)
{
    public bool IsWarning { get; init; }
}

/// <summary>A run as recorded.</summary>
public sealed record CatalogRun(
    long Id,
    string? PolicyName,
    string? TargetName,
    RunKind Kind,
    RunStatus Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    RunFigures Figures,
    string? ErrorMessage,
    IReadOnlyList<RunErrorInfo> Errors);

/// <summary>A drill's outcome with the run it belongs to (the run's target is the target drilled).</summary>
public sealed record DrillRecord(
    long RunId,
    string? PolicyName,
    string? TargetName,
    string SnapshotId,
    DrillOutcome Outcome,
    long FilesVerified,
    long BytesRestored,
    long Mismatches,
    TimeSpan RtoAchieved,
    TimeSpan? RtoTarget,
    DateTimeOffset StartedAt);

/// <summary>What a finished drill found, as recorded by <c>CatalogStore.RecordDrillAsync</c>.</summary>
public sealed record DrillOutcomeInput(
    string SnapshotId,
    DrillOutcome Outcome,
    long FilesVerified,
    long BytesRestored,
    TimeSpan RtoAchieved,
    TimeSpan? RtoTarget,
    IReadOnlyList<DrillMismatch> Mismatches);

/// <summary>One file (or table) that did not verify: expected and actual SHA-256/fingerprint in hex, null when absent.</summary>
public sealed record DrillMismatch(string Path, string? Expected, string? Actual, string Reason);

/// <summary>One recorded change of a policy.</summary>
public sealed record PolicyChangeRecord(
    long Id, string PolicyName, PolicyChangeKind Kind, DateTimeOffset ChangedAt, string ChangedBy, string? YamlBefore, string? YamlAfter);

/// <summary>One scheduled fire and what became of it.</summary>
public sealed record ScheduledFireRecord(
    long Id, string PolicyName, RunKind Kind, DateTimeOffset ScheduledAt, DateTimeOffset RecordedAt, FireStatus Status, string? JobId, string? Detail);

/// <summary>A fire to claim: the policy's trigger of <paramref name="Kind"/> due at <paramref name="ScheduledAt"/>, recorded as <paramref name="Status"/>.</summary>
public sealed record FireClaim(string PolicyName, RunKind Kind, DateTimeOffset ScheduledAt, FireStatus Status, string? Detail);

/// <summary>
/// A claimed fire's new status, job id and detail; null keeps the stored value. Only what is set
/// is written, so recording a job id cannot undo the status its job (already finished) wrote.
/// </summary>
public sealed record FireUpdate(long FireId, FireStatus? Status, string? JobId, string? Detail);
